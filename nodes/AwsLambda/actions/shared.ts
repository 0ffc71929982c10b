import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { ICredentialDataDecryptedObject, IDataObject, IExecuteFunctions, INode, NodeApiError } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { AwsAccess, Authentication } from '../transport/credentials';
import { credentialTypeFor, forgetRejectedSession, resolveAccess } from '../transport/credentials';
import { ResponseTooLargeError } from '../transport/bodyCollector';
import type { CallSettings } from '../transport/clients';
import type { FailureContext } from '../transport/errors';
import { toNodeApiError } from '../transport/errors';
import { assertRegion, inputError, redactedNode } from '../validation';
import type { RunContext } from './types';

/**
 * The selected credential, read once per node execution: in n8n every read decrypts it again.
 * Keys that change per item belong in Dynamic Credentials, which are evaluated per item.
 */
const credentialsByExecution = new WeakMap<IExecuteFunctions, Map<string, Promise<ICredentialDataDecryptedObject>>>();

async function selectedCredential(
	execute: IExecuteFunctions,
	credentialType: string,
): Promise<ICredentialDataDecryptedObject | undefined> {
	if (!execute.getNode().credentials?.[credentialType]) return undefined;
	let byType = credentialsByExecution.get(execute);
	if (!byType) credentialsByExecution.set(execute, (byType = new Map()));
	let credential = byType.get(credentialType);
	if (!credential) {
		credential = execute.getCredentials(credentialType, 0);
		byType.set(credentialType, credential);
	}
	return await credential;
}

/** Reads the credential and Dynamic Credentials of one item into signing material. No network. */
export async function accessForItem(
	execute: IExecuteFunctions,
	itemIndex: number,
	region: string,
): Promise<AwsAccess> {
	const authentication = execute.getNodeParameter('authentication', itemIndex, 'accessKey') as Authentication;
	const node = execute.getNode();
	const credential = await selectedCredential(execute, credentialTypeFor(authentication));
	return resolveAccess({
		node,
		itemIndex,
		authentication,
		dynamic: execute.getNodeParameter('dynamicCredentials', itemIndex, {}) as IDataObject,
		credential,
		region,
		signal: execute.getExecutionCancelSignal(),
	});
}

export function regionForItem(execute: IExecuteFunctions, itemIndex: number): string {
	return assertRegion(execute.getNode(), itemIndex, execute.getNodeParameter('region', itemIndex));
}

export function boundedInteger(
	node: INode,
	itemIndex: number,
	field: string,
	value: unknown,
	min: number,
	max: number,
): number {
	const number = Number(value);
	if (!Number.isInteger(number) || number < min || number > max) {
		throw inputError(
			node,
			itemIndex,
			field,
			`${String(value)} is not a whole number from ${min} to ${max}`,
			`Enter a value from ${min} to ${max}.`,
		);
	}
	return number;
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
	context: Pick<RunContext, 'clients' | 'signal'>,
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
			'AWS Lambda answers a synchronous Invoke with at most 6 MB, and an Event or Dry Run Invoke with no body at all. Check the Lambda Endpoint under Custom Endpoints in the credential: what answers there does not behave like AWS Lambda.',
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
