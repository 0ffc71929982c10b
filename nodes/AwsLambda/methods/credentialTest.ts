import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { AwsAccess } from '../transport/credentials';
import { ASSUME_ROLE_CREDENTIAL, resolveAccess } from '../transport/credentials';
import { toNodeApiError } from '../transport/errors';
import { loadStsSdk } from '../transport/sdk';

/** STS is global: any Region signs GetCallerIdentity, and us-east-1 is where every account has it. */
const TEST_REGION = 'us-east-1';

/**
 * The credential's Test button: for a role, assume it (this is where a wrong External ID or trust
 * policy shows), then ask STS who the resulting identity is. GetCallerIdentity needs no IAM permission,
 * so a failure means the keys themselves are wrong.
 */
export async function awsLambdaCredentialTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const node = {
		id: 'credential-test',
		name: 'Credential test',
		type: 'n8n-nodes-aws-lambda.awsLambda',
		typeVersion: 1,
		position: [0, 0] as [number, number],
		parameters: {},
	};
	let access: AwsAccess | undefined;
	try {
		access = resolveAccess({
			node,
			itemIndex: 0,
			authentication: credential.type === ASSUME_ROLE_CREDENTIAL ? 'assumeRole' : 'accessKey',
			dynamic: {},
			credential: credential.data ?? {},
			region: TEST_REGION,
		});
		const arn = await callerArn(access);
		return {
			status: 'OK',
			message: access.role ? `Assumed ${access.role.roleArn} as ${arn}` : `Authenticated as ${arn}`,
		};
	} catch (error) {
		return { status: 'Error', message: describe(error, access, node) };
	}
}

async function callerArn(access: AwsAccess): Promise<string> {
	const { STSClient, GetCallerIdentityCommand } = await loadStsSdk();
	const client = new STSClient({
		region: TEST_REGION,
		endpoint: access.stsEndpoint,
		credentials: access.credentials,
		maxAttempts: 1,
		requestHandler: { connectionTimeout: 10_000, requestTimeout: 20_000, throwOnRequestTimeout: true },
	});
	try {
		const identity = await client.send(new GetCallerIdentityCommand({}));
		return identity.Arn ?? 'an unnamed identity';
	} finally {
		client.destroy();
	}
}

function describe(error: unknown, access: AwsAccess | undefined, node: Parameters<typeof toNodeApiError>[1]['node']): string {
	if (error instanceof NodeOperationError) return `${error.message}. ${error.description ?? ''}`.trim();
	const nodeError = toNodeApiError(error, {
		node,
		action: 'Test credential',
		region: TEST_REGION,
		secrets: access?.secrets ?? [],
	});
	return `${nodeError.message}. ${nodeError.description ?? ''}`.trim();
}
