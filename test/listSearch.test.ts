/**
 * The function picker with Dynamic Credentials: the editor loads the list without an input item and
 * without the secrets store, so an expression in a dynamic field cannot be evaluated there.
 */
import type { INodeParameters } from 'n8n-workflow';

import { AwsLambda } from '../nodes/AwsLambda/AwsLambda.node';
import type { LocalAws } from './support/aws-endpoint';
import { DEFAULT_KEY } from './support/aws-endpoint';
import { loadOptionsContext } from './support/engine';
import type { CredentialStore } from './support/engine';
import { accessKeyCredential, credentialTypes, invokeParameters, useLocalAws } from './support/lambda-node';

let aws: LocalAws;
useLocalAws({}, (server) => {
	aws = server;
});

/** The setup the README recommends: the key ID typed in, the secret from the external secrets store. */
const typedIdSecretFromStore = { accessKeyId: 'AKIALOCALDYNAMICKEY1', secretAccessKey: '={{ $secrets.aws.secret }}' };

async function pick(dynamicCredentials: INodeParameters, credentials: CredentialStore) {
	const context = loadOptionsContext({
		node: { type: new AwsLambda() },
		parameters: invokeParameters('echo', { dynamicCredentials }),
		credentials,
		credentialTypes,
	});
	return await new AwsLambda().methods.listSearch.searchFunctions.call(context, 'echo');
}

const signedWith = () => aws.log.map((entry) => entry.accessKeyId);

describe('The function picker with Dynamic Credentials expressions', () => {
	it('lists with the selected credential, as the run would without the dynamic keys', async () => {
		const found = await pick(typedIdSecretFromStore, { awsLambdaAccessKeyApi: accessKeyCredential(aws) });
		expect(found.results.map((result) => result.name)).toEqual(['echo']);
		expect(signedWith()).toEqual([DEFAULT_KEY.accessKeyId]);
	});

	it('without a credential, says it cannot evaluate them and how to go on', async () => {
		await expect(pick(typedIdSecretFromStore, {})).rejects.toThrow(
			'The function list cannot evaluate Dynamic Credentials expressions: select a credential for browsing, or enter the function By Name / By ARN.',
		);
		expect(aws.log).toHaveLength(0);
	});

	it('an expression in any one field counts, the session token too', async () => {
		await expect(pick({ sessionToken: '={{ $json.token }}' }, {})).rejects.toThrow(/cannot evaluate Dynamic Credentials expressions/);
		expect(aws.log).toHaveLength(0);
	});
});

describe('The function picker hitting a limit of this package', () => {
	it('names the call without an item number: the picker runs without items', async () => {
		aws.faults.announceLength(1, { bytes: 50 * 1024 * 1024, match: { action: 'ListFunctions' } });
		await expect(pick({}, { awsLambdaAccessKeyApi: accessKeyCredential(aws) })).rejects.toThrow(
			/^List functions failed: the response announces 50\.0 MB/,
		);
	});
});
