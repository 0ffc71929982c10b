import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { LambdaClients } from '../transport/clients';
import { FunctionError } from '../transport/errors';
import { redactedNode } from '../validation';
import * as invoke from './invoke.operation';
import * as listFunctions from './listFunctions.operation';
import type { Operation } from './types';

const operations: Record<string, Operation<unknown>> = {
	invoke: invoke.operation as Operation<unknown>,
	listFunctions: listFunctions.operation as Operation<unknown>,
};

type Outcome = INodeExecutionData[] | Error;

/**
 * Runs the chosen operation over every input item, once for all operations: validation of all items
 * before the first request, bounded concurrency, results in input order, Continue On Fail and
 * pairedItem.
 */
export async function route(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const name = this.getNodeParameter('operation', 0) as string;
	const operation = operations[name];
	if (!operation) {
		throw new NodeOperationError(redactedNode(this.getNode()), `The operation "${name}" is not supported`);
	}
	const itemCount = this.getInputData().length;
	const continueOnFail = this.continueOnFail();

	const prepared: Array<unknown> = new Array(itemCount);
	const outcomes: Outcome[] = new Array(itemCount);
	for (let itemIndex = 0; itemIndex < itemCount; itemIndex++) {
		try {
			prepared[itemIndex] = await operation.prepare(this, itemIndex);
		} catch (error) {
			const failure = asNodeError(this, error, itemIndex);
			if (!continueOnFail) throw failure;
			outcomes[itemIndex] = failure;
		}
	}

	const concurrency = itemCount > 0 ? operation.concurrency(this) : 1;
	const clients = new LambdaClients(concurrency);
	const context = { execute: this, clients, signal: this.getExecutionCancelSignal?.() };
	try {
		await forEachWithConcurrency(itemCount, concurrency, context.signal, async (itemIndex) => {
			if (outcomes[itemIndex]) return;
			try {
				outcomes[itemIndex] = await operation.run(prepared[itemIndex], context);
			} catch (error) {
				const failure = asNodeError(this, error, itemIndex);
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
	return [outcomes.flatMap((outcome, itemIndex) => pair(outcome, itemIndex))];
}

/** Errors the operations did not explain (a bug, most likely) still reach n8n as node errors with their item. */
function asNodeError(execute: IExecuteFunctions, error: unknown, itemIndex: number): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	return new NodeOperationError(redactedNode(execute.getNode()), error as Error, { itemIndex });
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
		...(error instanceof FunctionError ? error.details : {}),
	};
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
