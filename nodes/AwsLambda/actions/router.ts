import type { IDataObject, IExecuteFunctions, INode, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { redactedNode } from '../input/errors';
import { LambdaClients } from '../transport/clients';
import type { AwsAccess } from '../transport/credentials';
import { redact } from '../transport/errors';
import type { AwsCall } from '../transport/send';
import * as durableExecution from './durableExecution/DurableExecution.resource';
import * as lambdaFunction from './function/Function.resource';
import type { AwsLambdaType } from './node.type';
import { answerForModel, isToolMode } from './toolMode';
import type { Operation } from './types';

/** What the router needs of any operation's prepared item: the call, whose access knows the secrets. */
type Prepared = { call: AwsCall };

type OperationMap = { [Resource in keyof AwsLambdaType]: Record<AwsLambdaType[Resource], Operation<Prepared>> };

const operations: OperationMap = {
	function: {
		invoke: lambdaFunction.invoke.operation,
		listFunctions: lambdaFunction.listFunctions.operation,
	},
	durableExecution: {
		get: durableExecution.get.operation,
		list: durableExecution.list.operation,
		getHistory: durableExecution.getHistory.operation,
		stop: durableExecution.stop.operation,
		sendCallbackSuccess: durableExecution.sendCallbackSuccess.operation,
		sendCallbackFailure: durableExecution.sendCallbackFailure.operation,
		sendCallbackHeartbeat: durableExecution.sendCallbackHeartbeat.operation,
	},
};

type Outcome = INodeExecutionData[] | Error;

/**
 * Runs the chosen operation over every input item, once for all operations: validation of all items
 * before the first request, bounded concurrency, results in input order, Continue On Fail and
 * pairedItem. As an AI Agent tool every failure is an answer: a thrown error would reach the model
 * as an empty string or stop the whole agent run, depending on the n8n and Agent version.
 */
export async function route(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const operation = chosenOperation(this);
	const itemCount = this.getInputData().length;
	const toolMode = isToolMode(this);
	const continueOnFail = toolMode || this.continueOnFail();

	const prepared: Array<Prepared | undefined> = new Array(itemCount);
	const outcomes: Outcome[] = new Array(itemCount);
	const accesses = new Map<string, AwsAccess>();
	for (let itemIndex = 0; itemIndex < itemCount; itemIndex++) {
		try {
			const item = await operation.prepare(this, itemIndex);
			prepared[itemIndex] = item;
			accesses.set(item.call.access.cacheKey, item.call.access);
		} catch (error) {
			const failure = asNodeError(this.getNode(), error, itemIndex);
			if (!continueOnFail) throw failure;
			outcomes[itemIndex] = failure;
		}
	}

	const concurrency = itemCount > 0 ? chooseConcurrency(this, operation, continueOnFail, outcomes, prepared) : 1;
	const clients = new LambdaClients(concurrency);
	const context = { execute: this, clients, signal: this.getExecutionCancelSignal?.() };
	try {
		await forEachWithConcurrency(itemCount, concurrency, context.signal, async (itemIndex) => {
			if (outcomes[itemIndex]) return;
			const item = prepared[itemIndex] as Prepared;
			try {
				outcomes[itemIndex] = await operation.run(item, context);
			} catch (error) {
				const failure = asNodeError(this.getNode(), error, itemIndex, item.call.access.secrets);
				if (!continueOnFail) throw failure;
				outcomes[itemIndex] = failure;
			} finally {
				prepared[itemIndex] = undefined;
			}
		});
	} finally {
		await clients.destroy();
	}
	if (context.signal?.aborted) {
		throw new NodeOperationError(redactedNode(this.getNode()), 'The execution was stopped before every item ran');
	}
	const items = outcomes.flatMap((outcome, itemIndex) => pair(outcome, itemIndex));
	return [toolMode ? answerForModel(items, secretsKnownAfterTheRun(accesses)) : items];
}

/**
 * Read only once every call is done: an assumed role's temporary secret and token, and the host's
 * keys, are issued during the run, and an access's `secrets` grow with them. One access per
 * identity is kept for this, not the prepared items, whose payloads are released as they run.
 */
function secretsKnownAfterTheRun(accesses: Map<string, AwsAccess>): string[] {
	return [...new Set([...accesses.values()].flatMap((access) => access.secrets))];
}

/** The stored names are only strings: an unknown one (a newer workflow on an older package) is refused. */
function chosenOperation(execute: IExecuteFunctions): Operation<Prepared> {
	const resource = String(execute.getNodeParameter('resource', 0));
	if (!isKeyOf(operations, resource)) {
		throw new NodeOperationError(redactedNode(execute.getNode()), `The resource "${resource}" is not supported`);
	}
	// Read after the resource is known: an unknown resource shows no Operation parameter at all.
	const name = String(execute.getNodeParameter('operation', 0));
	const byName = operations[resource];
	if (!isKeyOf(byName, name)) {
		throw new NodeOperationError(redactedNode(execute.getNode()), `The operation "${name}" is not supported`);
	}
	return byName[name];
}

function isKeyOf<Map extends object>(map: Map, key: string): key is Extract<keyof Map, string> {
	return Object.prototype.hasOwnProperty.call(map, key);
}

/**
 * Concurrency is one setting for all items, read from item 0. When it fails (a bad value or an
 * expression that throws) and Continue On Fail is on, the failure is item 0's: item 0 does not run,
 * and the others run at the operation's default concurrency.
 */
function chooseConcurrency(
	execute: IExecuteFunctions,
	operation: Operation<Prepared>,
	continueOnFail: boolean,
	outcomes: Outcome[],
	prepared: Array<Prepared | undefined>,
): number {
	try {
		return operation.concurrency(execute);
	} catch (error) {
		const failure = asNodeError(execute.getNode(), error, 0, prepared[0]?.call.access.secrets);
		if (!continueOnFail) throw failure;
		outcomes[0] ??= failure;
		return operation.defaultConcurrency;
	}
}

/**
 * Errors the operations did not explain (a bug, or an n8n expression error) still reach n8n as node
 * errors with their item. Only their redacted text is kept: the original's stack or cause may hold
 * a secret.
 */
export function asNodeError(
	node: INode,
	error: unknown,
	itemIndex: number,
	secrets: readonly string[] = [],
): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	const { message, description } = (error ?? {}) as { message?: unknown; description?: unknown };
	const text = (value: unknown) => (typeof value === 'string' && value ? redact(value, secrets) : undefined);
	return new NodeOperationError(redactedNode(node), text(message) ?? redact(String(error), secrets), {
		itemIndex,
		description: text(description),
	});
}

function pair(outcome: Outcome, itemIndex: number): INodeExecutionData[] {
	const pairedItem = { item: itemIndex };
	if (outcome instanceof Error) return [{ json: errorJson(outcome), pairedItem }];
	return outcome.map((item) => ({ ...item, pairedItem }));
}

function errorJson(error: Error): INodeExecutionData['json'] {
	const description =
		error instanceof NodeApiError || error instanceof NodeOperationError ? error.description : undefined;
	return {
		error: error.message,
		...(description ? { description } : {}),
		// Spreading an error without details adds nothing.
		...(error as Partial<ErrorWithDetails>).details,
	};
}

/** An error that knows what its Continue On Fail item carries besides the message (a function's error fields, a wait's last status). */
export interface ErrorWithDetails {
	readonly details: IDataObject;
}

/**
 * Calls `work` for indexes 0..count-1 with at most `limit` in flight. The first failure stops new
 * work from starting, waits for the calls in flight, then rejects with that failure.
 */
async function forEachWithConcurrency(
	count: number,
	limit: number,
	signal: AbortSignal | undefined,
	work: (index: number) => Promise<void>,
): Promise<void> {
	let next = 0;
	let failure: { error: unknown } | undefined;
	const worker = async () => {
		while (!failure && !signal?.aborted && next < count) {
			const index = next++;
			try {
				await work(index);
			} catch (error) {
				failure ??= { error };
			}
		}
	};
	await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
	if (failure) throw failure.error;
}
