import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { inputError } from '../../input/errors';
import { parseJsonField } from '../../input/json';
import { loadLambdaSdk } from '../../transport/sdk';
import type { RunContext } from '../types';
import type { PreparedCallback } from './callback';
import { callbackIdProperty, prepareCallback, sendCallback } from './callback';
import { durableOperation, durableToolDescription } from './common';

/** The API model's limit on a callback Result (SendDurableExecutionCallbackSuccess, 256 KB). */
export const CALLBACK_RESULT_LIMIT_BYTES = 262_144;

export const description = updateDisplayOptions({ show: { resource: ['durableExecution'], operation: ['sendCallbackSuccess'] } }, [
	callbackIdProperty,
	{
		displayName: 'Result',
		name: 'result',
		type: 'json',
		default: '{}',
		description: 'JSON the waiting function receives as the callback\'s result (at most 256 KB)',
	},
	durableToolDescription(
		'sendCallbackSuccess',
		'Resumes an AWS Lambda durable function that waits on a callback, given the callback ID it handed out and the JSON result (at most 256 KB) it receives. The answer is [{"callbackId", "sent": "success"}]. A callback already answered or timed out cannot be answered again.',
	),
]);

interface PreparedSuccess extends PreparedCallback {
	result: string;
}

async function prepare(execute: IExecuteFunctions, itemIndex: number): Promise<PreparedSuccess> {
	return { ...(await prepareCallback(execute, itemIndex, 'Send callback success')), result: resultText(execute, itemIndex) };
}

function resultText(execute: IExecuteFunctions, itemIndex: number): string {
	const value = execute.getNodeParameter('result', itemIndex, '{}');
	const text = typeof value === 'string' ? (value.trim() === '' ? '{}' : value) : JSON.stringify(value);
	parseJsonField(execute.getNode(), itemIndex, 'Result', text);
	const size = Buffer.byteLength(text, 'utf8');
	if (size > CALLBACK_RESULT_LIMIT_BYTES) {
		throw inputError(
			execute.getNode(),
			itemIndex,
			'Result',
			`${size.toLocaleString('en-US')} bytes is over the AWS limit of ${CALLBACK_RESULT_LIMIT_BYTES.toLocaleString('en-US')} bytes (256 KB)`,
			'Send a reference (an S3 key, for example) instead of the data.',
		);
	}
	return text;
}

async function run(prepared: PreparedSuccess, context: RunContext): Promise<INodeExecutionData[]> {
	const { SendDurableExecutionCallbackSuccessCommand } = await loadLambdaSdk();
	const input = { CallbackId: prepared.callbackId, Result: Buffer.from(prepared.result, 'utf8') };
	return await sendCallback(prepared, context, 'success', async (client, signal) =>
		await client.send(new SendDurableExecutionCallbackSuccessCommand(input), { abortSignal: signal }),
	);
}

export const operation = durableOperation(description, prepare, run);
