import type { ICredentialDataDecryptedObject, IDataObject, IExecuteFunctions, INode } from 'n8n-workflow';

import type { AwsAccess, Authentication } from '../transport/credentials';
import { credentialTypeFor, forgetSession, resolveAccess } from '../transport/credentials';
import type { CallSettings, LambdaClients } from '../transport/clients';
import type { FailureContext } from '../transport/errors';
import { toNodeApiError } from '../transport/errors';
import { assertRegion, inputError } from '../validation';
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
	failure: Omit<FailureContext, 'secrets' | 'timeoutMs' | 'region'>;
}

/**
 * Sends one SDK command with the item's client and turns any failure into a clear node error.
 * An assumed-role session that AWS reports as expired or revoked is renewed once and the call
 * repeated: AWS refused the first call, so nothing ran twice.
 */
export async function sendAws<Output>(
	context: Pick<RunContext, 'clients' | 'signal'>,
	call: AwsCall,
	send: (client: Awaited<ReturnType<LambdaClients['get']>>, signal?: AbortSignal) => Promise<Output>,
): Promise<Output> {
	const attempt = async () =>
		await send(await context.clients.get(call.access, call.region, call.kind, call.settings), context.signal);
	const explain = (error: unknown) =>
		toNodeApiError(error, {
			...call.failure,
			region: call.region,
			timeoutMs: call.settings.timeoutMs,
			secrets: call.access.secrets,
		});
	try {
		return await attempt();
	} catch (error) {
		if (!call.access.role || !isExpiredSession(error)) throw explain(error);
	}
	forgetSession(call.access);
	context.clients.forget(call.access);
	try {
		return await attempt();
	} catch (error) {
		throw explain(error);
	}
}

function isExpiredSession(error: unknown): boolean {
	const name = (error as { name?: string } | undefined)?.name;
	return name === 'ExpiredTokenException' || name === 'ExpiredToken';
}
