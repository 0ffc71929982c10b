import type { AwsCredentialIdentity } from '@aws-sdk/types';
import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	INode,
	INodeCredentialTestResult,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { KeyPair, RoleSettings } from '../transport/credentials';
import {
	ASSUME_ROLE_CREDENTIAL,
	AssumeRoleError,
	assertChainableDuration,
	assertHostIdentityAllowed,
	readCredentialKeyPair,
	readCredentialsSource,
	readEndpoints,
	readRoleSettings,
} from '../transport/credentials';
import { toNodeApiError } from '../transport/errors';
import { describeSource, freshHostIdentity, hostSecrets } from '../transport/hostIdentity';
import type { StsTarget } from '../transport/sts';
import { assumeRole, callerArn, stsTargetForRole, stsTargetsForAccessKey } from '../transport/sts';

const TEST_NODE: INode = {
	id: 'credential-test',
	name: 'Credential test',
	type: 'n8n-nodes-aws-lambda.awsLambda',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

type PartitionTarget = ReturnType<typeof stsTargetsForAccessKey>[number];

/** What a press of the button has done so far: for the error message, and the secrets to scrub from it. */
interface Probe {
	secrets: string[];
	target?: StsTarget;
	tried: PartitionTarget[];
}

/**
 * The credential's Test button. It always asks AWS, never the session cache: its answer must reflect
 * the role's trust policy and the keys as they are now. For a role: assume it (a wrong External ID or
 * trust policy shows here), then ask STS who the session is. For an access key: GetCallerIdentity,
 * which needs no IAM permission, so a failure means the keys themselves are wrong.
 */
export async function awsLambdaCredentialTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const probe: Probe = { secrets: [], tried: [] };
	try {
		const data = credential.data ?? {};
		const source = { node: TEST_NODE, itemIndex: 0 };
		const { stsEndpoint } = readEndpoints(source, data);
		if (credential.type === ASSUME_ROLE_CREDENTIAL) {
			const role = readRoleSettings(source, data);
			if (readCredentialsSource(data) === 'host') return await testHostRole(probe, source, role, stsEndpoint);
			const keys = readCredentialKeyPair(source, data, 'AWS Lambda (Assume Role) API credential');
			return await testRole(probe, keys, role, stsEndpoint);
		}
		const keys = readCredentialKeyPair(source, data, 'AWS Lambda (Access Key) API credential');
		return await testAccessKey(probe, keys, stsEndpoint);
	} catch (error) {
		return { status: 'Error', message: describe(error, probe) };
	}
}

async function testRole(
	probe: Probe,
	keys: KeyPair,
	role: RoleSettings,
	stsEndpoint: string | undefined,
): Promise<INodeCredentialTestResult> {
	probe.secrets.push(...secretsOf(keys));
	probe.target = stsTargetForRole(role.roleArn, undefined, stsEndpoint);
	return { status: 'OK', message: `Assumed ${role.roleArn} as ${await assumeAndIdentify(probe, keys, role, probe.target)}` };
}

/** Assumes the role, then asks STS who the session is: the ARN to show. */
async function assumeAndIdentify(probe: Probe, keys: KeyPair | AwsCredentialIdentity, role: RoleSettings, target: StsTarget): Promise<string> {
	const session = await assumeRole(keys, role, target);
	probe.secrets.push(...secretsOf(session));
	return await callerArn(session, target);
}

/** As testRole, with a fresh answer from the host's own source, and says which source answered. */
async function testHostRole(
	probe: Probe,
	source: { node: INode; itemIndex: number },
	role: RoleSettings,
	stsEndpoint: string | undefined,
): Promise<INodeCredentialTestResult> {
	assertHostIdentityAllowed(source);
	assertChainableDuration(source, role);
	probe.target = stsTargetForRole(role.roleArn, undefined, stsEndpoint);
	probe.secrets.push(...hostSecrets());
	const host = await freshHostIdentity(probe.target).catch((error: unknown) => {
		probe.secrets.push(...hostSecrets());
		throw new AssumeRoleError(role.roleArn, error);
	});
	probe.secrets.push(...secretsOf(host.credentials));
	const arn = await assumeAndIdentify(probe, host.credentials, role, probe.target);
	return { status: 'OK', message: `Assumed ${role.roleArn} as ${arn} using ${describeSource(host.source)}` };
}

async function testAccessKey(probe: Probe, keys: KeyPair, stsEndpoint: string | undefined): Promise<INodeCredentialTestResult> {
	probe.secrets.push(...secretsOf(keys));
	const arn = await identifyInPartitions(probe, keys, stsTargetsForAccessKey(stsEndpoint));
	return { status: 'OK', message: `Authenticated as ${arn}` };
}

/**
 * An access key does not say which partition it belongs to: it is tried in each public partition in
 * turn, moving on only when STS does not know the key there.
 */
async function identifyInPartitions(probe: Probe, keys: KeyPair, targets: PartitionTarget[]): Promise<string> {
	const [target, ...rest] = targets;
	probe.target = target;
	probe.tried.push(target);
	try {
		return await callerArn(keys, target);
	} catch (error) {
		const unknownHere = (error as { name?: string }).name === 'InvalidClientTokenId';
		if (!unknownHere || rest.length === 0) throw error;
		return await identifyInPartitions(probe, keys, rest);
	}
}

function secretsOf(keys: KeyPair | AwsCredentialIdentity): string[] {
	return [keys.secretAccessKey, keys.sessionToken].filter((value): value is string => !!value);
}

function describe(error: unknown, probe: Probe): string {
	if (error instanceof NodeOperationError) return `${error.message}. ${error.description ?? ''}`.trim();
	const nodeError = toNodeApiError(error, {
		node: TEST_NODE,
		action: 'Test credential',
		region: probe.target?.region ?? 'us-east-1',
		secrets: probe.secrets,
	});
	return `${nodeError.message}.${partitionsTried(probe.tried)} ${nodeError.description ?? ''}`.trim();
}

function partitionsTried(tried: PartitionTarget[]): string {
	if (tried.length < 2) return '';
	const names = tried.map((target) => `${target.partition} (${target.region})`);
	return ` Tried the partitions ${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}.`;
}
