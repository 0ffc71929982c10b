import type { ICredentialDataDecryptedObject, IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { AwsAccess, Authentication } from './credentials';
import { credentialTypeFor, resolveAccess } from './credentials';

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

