import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { loadLambdaSdk } from '../../transport/sdk';
import type { RunContext } from '../types';
import type { PreparedCallback } from './callback';
import { callbackIdProperty, prepareCallback, sendCallback } from './callback';
import { durableOperation, durableToolDescription } from './common';

export const description = updateDisplayOptions({ show: { resource: ['durableExecution'], operation: ['sendCallbackHeartbeat'] } }, [
	callbackIdProperty,
	durableToolDescription(
		'sendCallbackHeartbeat',
		'Tells an AWS Lambda durable function that waits on a callback, given the callback ID it handed out, that the work is still going on, so its heartbeat timeout starts again. The answer is [{"callbackId", "sent": "heartbeat"}].',
	),
]);

async function prepare(execute: IExecuteFunctions, itemIndex: number): Promise<PreparedCallback> {
	return await prepareCallback(execute, itemIndex, 'Send callback heartbeat');
}

async function run(prepared: PreparedCallback, context: RunContext): Promise<INodeExecutionData[]> {
	const { SendDurableExecutionCallbackHeartbeatCommand } = await loadLambdaSdk();
	return await sendCallback(prepared, context, 'heartbeat', async (client, signal) =>
		await client.send(new SendDurableExecutionCallbackHeartbeatCommand({ CallbackId: prepared.callbackId }), { abortSignal: signal }),
	);
}

export const operation = durableOperation(description, prepare, run);
