import type { ErrorObject } from '@aws-sdk/client-lambda';
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { loadLambdaSdk } from '../../transport/sdk';
import type { AwsCall } from '../../transport/send';
import { sendAws } from '../../transport/send';
import type { RunContext } from '../types';
import { asJson, durableCall, durableOperation, durableToolDescription, errorFieldsProperty, errorObjectFrom, executionArnProperty, parseExecutionArn } from './common';

export const description = updateDisplayOptions({ show: { resource: ['durableExecution'], operation: ['stop'] } }, [
	executionArnProperty,
	{ ...errorFieldsProperty, description: 'Why the execution is stopped; AWS records it as the execution\'s error' },
	durableToolDescription(
		'stop',
		'Stops a RUNNING AWS Lambda durable execution, given its execution ARN and optionally an error type, message and data AWS records as its error. The answer is [{"durableExecutionArn", "StopTimestamp"}]. An execution that is no longer running cannot be stopped.',
	),
]);

interface PreparedStop {
	call: AwsCall;
	arn: string;
	error?: ErrorObject;
}

async function prepare(execute: IExecuteFunctions, itemIndex: number): Promise<PreparedStop> {
	const { arn, region } = parseExecutionArn(execute.getNode(), itemIndex, execute.getNodeParameter('executionArn', itemIndex));
	return {
		call: await durableCall(execute, itemIndex, region, 'invoke', 'Stop durable execution', 'execution'),
		arn,
		error: errorObjectFrom(execute.getNodeParameter('error', itemIndex, {}) as IDataObject),
	};
}

async function run(prepared: PreparedStop, context: RunContext): Promise<INodeExecutionData[]> {
	const { StopDurableExecutionCommand } = await loadLambdaSdk();
	const output = await sendAws(context, prepared.call, async (client, signal) =>
		await client.send(new StopDurableExecutionCommand({ DurableExecutionArn: prepared.arn, Error: prepared.error }), { abortSignal: signal }),
	);
	return [{ json: { durableExecutionArn: prepared.arn, ...asJson(output) } }];
}

export const operation = durableOperation(description, prepare, run);
