import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { loadLambdaSdk } from '../../transport/sdk';
import type { RunContext } from '../types';
import type { PreparedCallback } from './callback';
import { callbackIdProperty, prepareCallback, sendCallback } from './callback';
import { durableOperation } from './common';

export const description = updateDisplayOptions({ show: { resource: ['durableExecution'], operation: ['sendCallbackHeartbeat'] } }, [callbackIdProperty]);

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
