import type { GetDurableExecutionCommandOutput } from '@aws-sdk/client-lambda';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { redactedNode } from '../../input/errors';
import { boundedInteger } from '../../input/limits';
import { loadLambdaSdk } from '../../transport/sdk';
import type { AwsCall } from '../../transport/send';
import { sendAws } from '../../transport/send';
import type { RunContext } from '../types';
import { asJson, durableCall, durableOperation, durableToolDescription, executionArnProperty, parseExecutionArn, parsedPayload } from './common';

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'STOPPED']);
/** Polling faster than once a second only spends the account's GetDurableExecution request rate. */
const MIN_POLL_SECONDS = 1;
const MAX_WAIT_SECONDS = 31_622_400;

const properties: INodeProperties[] = [
	executionArnProperty,
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Include Execution Data',
				name: 'includeExecutionData',
				type: 'boolean',
				default: true,
				description: 'Whether to return the execution\'s input, result and error',
			},
			{
				displayName: 'Max Wait (Seconds)',
				name: 'maxWaitSeconds',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: MAX_WAIT_SECONDS, numberPrecision: 0 },
				default: 900,
				description: 'With Wait for Completion: how long to wait for a terminal status before giving up with an error',
			},
			{
				displayName: 'Poll Interval (Seconds)',
				name: 'pollIntervalSeconds',
				type: 'number',
				typeOptions: { minValue: MIN_POLL_SECONDS, maxValue: MAX_WAIT_SECONDS, numberPrecision: 0 },
				default: 5,
				description: 'With Wait for Completion: seconds between two status checks (at least 1)',
			},
			{
				displayName: 'Wait for Completion',
				name: 'waitForCompletion',
				type: 'boolean',
				default: false,
				description:
					'Whether to poll until the execution reached SUCCEEDED, FAILED, TIMED_OUT or STOPPED. Each of them is returned as an item (route on Status with an IF node); only running out of time is an error.',
			},
		],
	},
];

export const description = updateDisplayOptions({ show: { resource: ['durableExecution'], operation: ['get'] } }, [
	...properties,
	durableToolDescription(
		'get',
		'Gets one AWS Lambda durable execution by its execution ARN (the durableExecutionArn Invoke returned). The answer is [{"DurableExecutionArn", "DurableExecutionName", "Status": RUNNING, SUCCEEDED, FAILED, TIMED_OUT or STOPPED, "StartTimestamp", "EndTimestamp", "InputPayload", "Result", "Error"}]. With Wait for Completion it answers once Status is no longer RUNNING; a wait that runs out is a failure whose answer also holds "lastStatus".',
	),
]);

interface Wait {
	pollMs: number;
	maxWaitMs: number;
}

interface PreparedGet {
	call: AwsCall;
	arn: string;
	includeExecutionData: boolean;
	wait?: Wait;
}

/** The wait ran out: with Continue On Fail the error item carries the last status seen. */
export class WaitExpiredError extends NodeOperationError {
	readonly details: IDataObject;

	constructor(prepared: PreparedGet, lastStatus: string | undefined, waitedSeconds: number) {
		const { node, itemIndex } = prepared.call.failure;
		super(redactedNode(node), `Get durable execution failed (item ${itemIndex}): still ${lastStatus ?? 'unknown'} after waiting ${waitedSeconds} seconds`, {
			itemIndex,
			description:
				'The execution is still running at AWS. Raise Max Wait, or get it again later (for example after a Wait node); a durable execution may run for up to a year.',
		});
		this.details = { durableExecutionArn: prepared.arn, lastStatus: lastStatus ?? null };
	}
}

async function prepare(execute: IExecuteFunctions, itemIndex: number): Promise<PreparedGet> {
	const node = execute.getNode();
	const { arn, region } = parseExecutionArn(node, itemIndex, execute.getNodeParameter('executionArn', itemIndex));
	const options = execute.getNodeParameter('options', itemIndex, {}) as IDataObject;
	return {
		call: await durableCall(execute, itemIndex, region, 'read', 'Get durable execution', 'execution'),
		arn,
		includeExecutionData: options.includeExecutionData !== false,
		wait: options.waitForCompletion === true ? waitFor(execute, itemIndex, options) : undefined,
	};
}

function waitFor(execute: IExecuteFunctions, itemIndex: number, options: IDataObject): Wait {
	const milliseconds = (field: string, value: unknown, min: number) =>
		boundedInteger(execute.getNode(), itemIndex, field, value, min, MAX_WAIT_SECONDS) * 1000;
	return {
		pollMs: milliseconds('Poll Interval', options.pollIntervalSeconds ?? 5, MIN_POLL_SECONDS),
		maxWaitMs: milliseconds('Max Wait', options.maxWaitSeconds ?? 900, 1),
	};
}

async function run(prepared: PreparedGet, context: RunContext): Promise<INodeExecutionData[]> {
	const execution = prepared.wait ? await untilTerminal(prepared, prepared.wait, context) : await getOnce(prepared, context);
	return [{ json: outputOf(execution) }];
}

async function getOnce(prepared: PreparedGet, context: RunContext): Promise<GetDurableExecutionCommandOutput> {
	const { GetDurableExecutionCommand } = await loadLambdaSdk();
	const input = { DurableExecutionArn: prepared.arn, IncludeExecutionData: prepared.includeExecutionData };
	return await sendAws(context, prepared.call, async (client, signal) =>
		await client.send(new GetDurableExecutionCommand(input), { abortSignal: signal }),
	);
}

async function untilTerminal(prepared: PreparedGet, wait: Wait, context: RunContext): Promise<GetDurableExecutionCommandOutput> {
	const started = Date.now();
	for (;;) {
		const execution = await getOnce(prepared, context);
		if (TERMINAL.has(execution.Status ?? '')) return execution;
		const waited = Date.now() - started;
		if (waited >= wait.maxWaitMs) throw new WaitExpiredError(prepared, execution.Status, Math.round(waited / 1000));
		// The last pause ends at the deadline, so the execution gets its whole Max Wait and one last check.
		await pause(Math.min(wait.pollMs, wait.maxWaitMs - waited), context.signal);
		if (context.signal?.aborted) throw new WaitExpiredError(prepared, execution.Status, Math.round((Date.now() - started) / 1000));
	}
}

/** Resolves after `ms`, or at once when the execution is cancelled. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
	if (signal?.aborted) return;
	await new Promise<void>((resolve) => {
		const done = () => {
			clearTimeout(timer);
			signal?.removeEventListener('abort', done);
			resolve();
		};
		const timer = setTimeout(done, ms);
		signal?.addEventListener('abort', done, { once: true });
	});
}

function outputOf(execution: GetDurableExecutionCommandOutput): IDataObject {
	const json = asJson(execution);
	if (execution.InputPayload !== undefined) json.InputPayload = parsedPayload(execution.InputPayload) as IDataObject;
	if (execution.Result !== undefined) json.Result = parsedPayload(execution.Result) as IDataObject;
	return json;
}

export const operation = durableOperation(description, prepare, run);
