import type { AssumeRoleWithWebIdentityCommandInput, Credentials as StsCredentials, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';

import { loadStsSdk, PINNED_ENDPOINT_CONFIG } from './sdk';

/**
 * Bounds of every STS call. n8n offers no setting for them; tests shorten them to keep a hung STS
 * endpoint from costing half a minute per case.
 */
export interface StsTimeouts {
	/** TCP (and TLS) connection set-up. */
	connectMs: number;
	/** The whole call, retries included. */
	deadlineMs: number;
}

const DEFAULT_STS_TIMEOUTS: StsTimeouts = { connectMs: 10_000, deadlineMs: 30_000 };
let stsTimeouts = DEFAULT_STS_TIMEOUTS;

export function setStsTimeouts(timeouts: Partial<StsTimeouts> | undefined): void {
	stsTimeouts = { ...DEFAULT_STS_TIMEOUTS, ...timeouts };
}

export interface StsTarget {
	region: string;
	/** A custom STS endpoint; absent for the AWS default of the Region. */
	endpoint?: string;
}

interface Partition {
	name: string;
	/** Region codes of the partition start with this; '' for the commercial partition. */
	regionPrefix: string;
	/** Where its STS is asked when nothing else names a Region. */
	defaultRegion: string;
}

/** Most specific prefix first: the commercial partition matches every Region. */
const PARTITIONS: Partition[] = [
	{ name: 'aws-cn', regionPrefix: 'cn-', defaultRegion: 'cn-north-1' },
	{ name: 'aws-us-gov', regionPrefix: 'us-gov-', defaultRegion: 'us-gov-west-1' },
	{ name: 'aws-iso', regionPrefix: 'us-iso-', defaultRegion: 'us-iso-east-1' },
	{ name: 'aws-iso-b', regionPrefix: 'us-isob-', defaultRegion: 'us-isob-east-1' },
	{ name: 'aws-iso-e', regionPrefix: 'eu-isoe-', defaultRegion: 'eu-isoe-west-1' },
	{ name: 'aws-iso-f', regionPrefix: 'us-isof-', defaultRegion: 'us-isof-south-1' },
	{ name: 'aws-eusc', regionPrefix: 'eusc-', defaultRegion: 'eusc-de-east-1' },
	{ name: 'aws', regionPrefix: '', defaultRegion: 'us-east-1' },
];

/** The partitions an access key alone may belong to, in the order the Test button tries them. */
const PUBLIC_PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'].map(partitionNamed);

function partitionNamed(name: string): Partition {
	return PARTITIONS.find((partition) => partition.name === name) ?? PARTITIONS[PARTITIONS.length - 1];
}

function partitionOfRegion(region: string): Partition {
	return PARTITIONS.find((partition) => region.startsWith(partition.regionPrefix)) as Partition;
}

function partitionOfArn(arn: string): Partition {
	return partitionNamed(arn.split(':')[1]);
}

/** A Region an AWS STS host names (sts.cn-north-1.amazonaws.com.cn, sts-fips.us-east-2.amazonaws.com). */
export function regionOfStsEndpoint(endpoint: string | undefined): string | undefined {
	if (!endpoint) return undefined;
	const host = new URL(endpoint).hostname;
	return /^sts(?:-fips)?\.([a-z]+(?:-[a-z]+)+-\d+)\./.exec(host)?.[1];
}

/**
 * Where to assume a role: the Region a custom STS endpoint names, else the node's Region when it is
 * in the role's partition (regional STS, as AWS recommends), else the partition's default Region —
 * STS of one partition does not know the roles of another.
 */
export function stsTargetForRole(roleArn: string, preferredRegion: string | undefined, endpoint: string | undefined): StsTarget {
	const partition = partitionOfArn(roleArn);
	const regionInPartition = preferredRegion && partitionOfRegion(preferredRegion) === partition ? preferredRegion : undefined;
	return { region: regionOfStsEndpoint(endpoint) ?? regionInPartition ?? partition.defaultRegion, endpoint };
}

/**
 * Where to check an access key: an access key does not name its partition, so unless the STS
 * endpoint names a Region, the key is tried in each public partition in turn.
 */
export function stsTargetsForAccessKey(endpoint: string | undefined): Array<StsTarget & { partition: string }> {
	const region = regionOfStsEndpoint(endpoint);
	if (region) return [{ region, endpoint, partition: partitionOfRegion(region).name }];
	return PUBLIC_PARTITIONS.map((partition) => ({ region: partition.defaultRegion, endpoint, partition: partition.name }));
}

export interface RoleRequest {
	roleArn: string;
	externalId?: string;
	roleSessionName: string;
	durationSeconds: number;
}

/** One bounded AssumeRole call. Throws AssumeRoleError, whose cause says what went wrong. */
export async function assumeRole(
	keys: AwsCredentialIdentity,
	role: RoleRequest,
	target: StsTarget,
): Promise<AwsCredentialIdentity> {
	try {
		const { AssumeRoleCommand } = await loadStsSdk();
		const { Credentials } = await sendSts(keys, target, async (client, abortSignal) =>
			await client.send(
				new AssumeRoleCommand({
					RoleArn: role.roleArn,
					RoleSessionName: role.roleSessionName,
					ExternalId: role.externalId,
					DurationSeconds: role.durationSeconds,
				}),
				{ abortSignal },
			),
		);
		return temporaryCredentials(Credentials);
	} catch (error) {
		throw new AssumeRoleError(role.roleArn, error);
	}
}

/**
 * One bounded AssumeRoleWithWebIdentity call (EKS IRSA), the web identity provider's role assumer: on
 * this package's STS client, so it obeys the credential's STS endpoint and the STS bounds, and not
 * the host's AWS_ENDPOINT_URL* settings. The call is unsigned: the token is the proof.
 */
export async function assumeRoleWithWebIdentity(
	params: AssumeRoleWithWebIdentityCommandInput,
	target: StsTarget,
): Promise<AwsCredentialIdentity> {
	const { AssumeRoleWithWebIdentityCommand } = await loadStsSdk();
	const { Credentials } = await sendSts(NO_CREDENTIALS, target, async (client, abortSignal) =>
		await client.send(new AssumeRoleWithWebIdentityCommand(params), { abortSignal }),
	);
	return temporaryCredentials(Credentials);
}

/** The web identity call is unsigned; the client still asks for a provider, which must never be used. */
const NO_CREDENTIALS: AwsCredentialIdentityProvider = async () => {
	throw new Error('AssumeRoleWithWebIdentity is unsigned and needs no credentials');
};

function temporaryCredentials(credentials: StsCredentials | undefined): AwsCredentialIdentity {
	if (!credentials?.AccessKeyId || !credentials.SecretAccessKey || !credentials.SessionToken) {
		throw new MalformedStsResponseError();
	}
	return {
		accessKeyId: credentials.AccessKeyId,
		secretAccessKey: credentials.SecretAccessKey,
		sessionToken: credentials.SessionToken,
		expiration: credentials.Expiration,
	};
}

/** One bounded GetCallerIdentity call: the ARN the keys belong to. */
export async function callerArn(
	credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider,
	target: StsTarget,
): Promise<string> {
	const { GetCallerIdentityCommand } = await loadStsSdk();
	const identity = await sendSts(credentials, target, async (client, abortSignal) =>
		await client.send(new GetCallerIdentityCommand({}), { abortSignal }),
	);
	return identity.Arn ?? 'an unnamed identity';
}

/**
 * Runs one STS call on a client of its own under a hard deadline, so a hung STS endpoint costs at most
 * the deadline — however many callers wait for it.
 */
async function sendSts<Output>(
	credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider,
	target: StsTarget,
	send: (client: STSClient, abortSignal: AbortSignal) => Promise<Output>,
): Promise<Output> {
	const { STSClient } = await loadStsSdk();
	const { connectMs, deadlineMs } = stsTimeouts;
	const client = new STSClient({
		...PINNED_ENDPOINT_CONFIG,
		region: target.region,
		endpoint: target.endpoint,
		credentials,
		requestHandler: { connectionTimeout: connectMs, requestTimeout: deadlineMs, throwOnRequestTimeout: true },
	});
	const deadline = AbortSignal.timeout(deadlineMs);
	try {
		return await send(client, deadline);
	} catch (error) {
		if (deadline.aborted) throw new StsTimeoutError(target, deadlineMs);
		throw error;
	} finally {
		client.destroy();
	}
}

export class StsTimeoutError extends Error {
	override name = 'StsTimeout';
	constructor(target: StsTarget, deadlineMs: number) {
		super(
			`STS at ${target.endpoint ?? `the AWS endpoint of ${target.region}`} did not answer within ${deadlineMs / 1000} seconds`,
		);
	}
}

export class MalformedStsResponseError extends Error {
	override name = 'MalformedStsResponse';
	constructor() {
		super('STS answered AssumeRole without complete temporary credentials');
	}
}

/** Marks an error as coming from the AssumeRole step, so messages can say which step failed. */
export class AssumeRoleError extends Error {
	override name = 'AssumeRoleError';
	constructor(
		readonly roleArn: string,
		override readonly cause: unknown,
	) {
		super(`AssumeRole on ${roleArn} failed`);
	}
}
