import type { ErrorObject } from '@aws-sdk/client-lambda';
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { loadLambdaSdk } from '../../transport/sdk';
import type { RunContext } from '../types';
import type { PreparedCallback } from './callback';
import { callbackIdProperty, prepareCallback, sendCallback } from './callback';
import { durableOperation, durableToolDescription, errorFieldsProperty, errorObjectFrom } from './common';

export const description = updateDisplayOptions({ show: { resource: ['durableExecution'], operation: ['sendCallbackFailure'] } }, [
	callbackIdProperty,
	{ ...errorFieldsProperty, description: 'The error the waiting function receives' },
	durableToolDescription(
		'sendCallbackFailure',
		'Resumes an AWS Lambda durable function that waits on a callback with an error (for example a rejection), given the callback ID it handed out and an error type, message and data. The answer is [{"callbackId", "sent": "failure"}]. A callback already answered or timed out cannot be answered again.',
	),
]);

interface PreparedFailure extends PreparedCallback {
	error: ErrorObject;
}

async function prepare(execute: IExecuteFunctions, itemIndex: number): Promise<PreparedFailure> {
	return {
		...(await prepareCallback(execute, itemIndex, 'Send callback failure')),
		error: errorObjectFrom(execute.getNodeParameter('error', itemIndex, {}) as IDataObject) ?? {},
	};
}

async function run(prepared: PreparedFailure, context: RunContext): Promise<INodeExecutionData[]> {
	const { SendDurableExecutionCallbackFailureCommand } = await loadLambdaSdk();
	const input = { CallbackId: prepared.callbackId, Error: prepared.error };
	return await sendCallback(prepared, context, 'failure', async (client, signal) =>
		await client.send(new SendDurableExecutionCallbackFailureCommand(input), { abortSignal: signal }),
	);
}

export const operation = durableOperation(description, prepare, run);
