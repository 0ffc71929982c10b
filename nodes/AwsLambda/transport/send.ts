import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { NodeApiError } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { redactedNode } from '../input/errors';
import { ResponseTooLargeError } from './bodyCollector';
import type { CallSettings, LambdaClients } from './clients';
import type { AwsAccess } from './credentials';
import { forgetRejectedSession } from './credentials';
import { StreamCutOffError } from './responseStream';
import type { FailureContext } from './errors';
import { toNodeApiError } from './errors';

/** What a call needs of its execution: the clients to send with, and the signal that cancels it. */
export interface SendContext {
	clients: LambdaClients;
	/** Fires when the user stops the execution; passed to every SDK call. */
	signal?: AbortSignal;
}

export interface AwsCall {
	access: AwsAccess;
	region: string;
	settings: CallSettings;
	kind: 'invoke' | 'read';
	/** A limit on the whole call: every attempt, the waits between them and the response download. */
	deadlineMs?: number;
	failure: Omit<FailureContext, 'secrets' | 'timeoutMs' | 'region'>;
}

type Send<Output> = (client: LambdaClient, signal?: AbortSignal) => Promise<Output>;

/**
 * Sends one SDK command with the item's client and turns any failure into a clear node error.
 * An assumed-role session that AWS reports as expired or revoked is renewed once and the call
 * repeated: AWS refused the first call, so nothing ran twice.
 */
export async function sendAws<Output>(
	context: SendContext,
	call: AwsCall,
	send: Send<Output>,
): Promise<Output> {
	const deadline = call.deadlineMs === undefined ? undefined : AbortSignal.timeout(call.deadlineMs);
	const signal = eitherSignal(context.signal, deadline);
	const explain = (error: unknown) => explainFailure(error, call, deadline?.aborted === true && !context.signal?.aborted);
	const client = await context.clients.get(call.access, call.region, call.kind, call.settings);
	try {
		return await send(client, signal);
	} catch (error) {
		if (!(await forgetRejectedSession(call.access, error, client))) throw explain(error);
		context.clients.retire(client);
	}
	try {
		return await send(await context.clients.get(call.access, call.region, call.kind, call.settings), signal);
	} catch (error) {
		throw explain(error);
	}
}

function eitherSignal(...signals: Array<AbortSignal | undefined>): AbortSignal | undefined {
	const present = signals.filter((signal): signal is AbortSignal => signal !== undefined);
	return present.length > 1 ? AbortSignal.any(present) : present[0];
}

function explainFailure(error: unknown, call: AwsCall, pastDeadline: boolean): NodeApiError | NodeOperationError {
	if (pastDeadline) {
		const seconds = Math.round((call.deadlineMs ?? 0) / 1000);
		return callError(
			call,
			`no complete answer within the Timeout of ${seconds} seconds`,
			'The Timeout covers the whole invocation: every attempt, the waits between them and the response download. Raise it for long-running functions (Lambda allows up to 15 minutes). A timed-out Invoke is not retried: the function may still be running.',
		);
	}
	if (error instanceof ResponseTooLargeError) {
		return callError(
			call,
			`the response ${error.announced ? 'announces' : 'grew past'} ${megabytes(error.bytes)}, over the ${megabytes(error.limitBytes)} this call accepts; it was not read`,
			'AWS Lambda answers a synchronous Invoke with at most 6 MB (200 MB with Stream Response), and an Event or Dry Run Invoke with no body at all. Check the Lambda Endpoint under Custom Endpoints in the credential: what answers there does not behave like AWS Lambda.',
		);
	}
	if (error instanceof StreamCutOffError) {
		return callError(
			call,
			error.message,
			'The function ran (and may still be running), so the call is not retried: run the item again if the function is safe to repeat. Check the network path to AWS and that nothing between closes long downloads.',
		);
	}
	return toNodeApiError(error, {
		...call.failure,
		region: call.region,
		timeoutMs: call.settings.timeoutMs ?? call.deadlineMs,
		secrets: call.access.secrets,
	});
}

/** A limit of this package's own (not an AWS error), in the shape of the other call failures. */
function callError(call: AwsCall, problem: string, fix: string): NodeOperationError {
	const { node, itemIndex, action } = call.failure;
	const item = itemIndex === undefined ? '' : ` (item ${itemIndex})`;
	return new NodeOperationError(redactedNode(node), `${action} failed${item}: ${problem}`, { itemIndex, description: fix });
}

function megabytes(bytes: number): string {
	return `${(bytes / (1024 * 1024)).toFixed(1)} MB (${bytes.toLocaleString('en-US')} bytes)`;
}
