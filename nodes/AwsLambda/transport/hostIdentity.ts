import { readFileSync } from 'node:fs';
import type { AwsCredentialIdentity } from '@aws-sdk/types';

import { SessionCache } from './sessions';
import type { StsTarget } from './sts';
import { assumeRoleWithWebIdentity } from './sts';

/** n8n's own switch for the same purpose: only the administrator lets workflows use the host's identity. */
export const HOST_OPT_IN_VARIABLE = 'N8N_AWS_SYSTEM_CREDENTIALS_ACCESS_ENABLED';

export function hostIdentityAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
	return env[HOST_OPT_IN_VARIABLE]?.trim().toLowerCase() === 'true';
}

/** How the Test button and error messages name each source. */
export type HostSourceName = 'environment' | 'web identity' | 'container credentials' | 'instance profile';

/** The host identity as resolved now: the keys, and where they came from. */
export interface HostIdentity {
	source: HostSourceName;
	/** Identifies the host identity for the session cache: a new instance role gets new sessions. */
	cacheKey: string;
	credentials: AwsCredentialIdentity;
	/** Drops these keys from the process cache, when AWS says they expired before their time. */
	forget(): void;
}

interface HostSource {
	name: HostSourceName;
	configured(env: NodeJS.ProcessEnv): boolean;
	/** The settings that identify the source (no secrets), so a changed setting gets a fresh provider. */
	settings(env: NodeJS.ProcessEnv): string[];
	/** Fetches the credentials once, recording any token it sends for redaction. */
	fetch(env: NodeJS.ProcessEnv, sts: StsTarget, remember: (token: string) => void): Promise<AwsCredentialIdentity>;
	whyFailed(env: NodeJS.ProcessEnv, error: unknown): { problem: string; fix: string };
}

/**
 * The SDK's default chain without the shared-file links (~/.aws/credentials, config profiles, SSO,
 * credential_process): on a server those files belong to whoever logged in last, not to the host's
 * role, and a workflow must not act as them. The first configured source is used and its failure
 * reported: falling through to the next would silently act as a different identity.
 */
const SOURCES: HostSource[] = [
	{
		name: 'environment',
		configured: (env) => !!env.AWS_ACCESS_KEY_ID,
		settings: (env) => [env.AWS_ACCESS_KEY_ID ?? ''],
		fetch: async () => {
			const { fromEnv } = await import('@aws-sdk/credential-provider-env');
			return await fromEnv()();
		},
		whyFailed: (_env, error) => ({
			problem: `the environment variables hold no complete key pair (${messageOf(error)})`,
			fix: 'Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys) on the n8n process, or unset AWS_ACCESS_KEY_ID to use the next source.',
		}),
	},
	{
		name: 'web identity',
		configured: (env) => !!env.AWS_WEB_IDENTITY_TOKEN_FILE && !!env.AWS_ROLE_ARN,
		settings: (env) => [env.AWS_WEB_IDENTITY_TOKEN_FILE ?? '', env.AWS_ROLE_ARN ?? '', env.AWS_ROLE_SESSION_NAME ?? ''],
		fetch: async (env, sts, remember) => {
			const { fromWebToken } = await import('@aws-sdk/credential-provider-web-identity');
			// Kubernetes rotates the token file: read on every fetch, as the SDK's own provider does.
			const webIdentityToken = readFileSync(env.AWS_WEB_IDENTITY_TOKEN_FILE as string, 'ascii').trim();
			remember(webIdentityToken);
			return await fromWebToken({
				webIdentityToken,
				roleArn: env.AWS_ROLE_ARN as string,
				roleSessionName: env.AWS_ROLE_SESSION_NAME || 'n8n-host',
				roleAssumerWithWebIdentity: async (params) => await assumeRoleWithWebIdentity(params, sts),
			})();
		},
		whyFailed: (env, error) => ({
			problem: fileProblem(error)
				? `the token file ${env.AWS_WEB_IDENTITY_TOKEN_FILE} cannot be read: it ${fileProblem(error)}`
				: `STS rejected the web identity token for ${env.AWS_ROLE_ARN} (${messageOf(error)})`,
			fix: 'Check the service account\'s eks.amazonaws.com/role-arn annotation, that the role\'s trust policy names the cluster\'s OIDC provider and this service account, and that the token file is mounted into the n8n container.',
		}),
	},
	{
		name: 'container credentials',
		configured: (env) => !!env.AWS_CONTAINER_CREDENTIALS_FULL_URI || !!env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI,
		settings: (env) => [
			env.AWS_CONTAINER_CREDENTIALS_FULL_URI ?? '',
			env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI ?? '',
			env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE ?? '',
		],
		fetch: async (env, _sts, remember) => {
			const { fromHttp } = await import('@aws-sdk/credential-provider-http');
			const token = containerToken(env);
			if (token) remember(token);
			return await fromHttp({ awsContainerAuthorizationToken: token })();
		},
		whyFailed: (env, error) => ({
			problem: `the container credentials endpoint ${env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI ? '169.254.170.2' : env.AWS_CONTAINER_CREDENTIALS_FULL_URI} refused or did not answer (${messageOf(error)})`,
			fix: 'On ECS, give the task definition a task role; on EKS, associate a Pod Identity with the service account and check that the Pod Identity agent runs. The authorization token (AWS_CONTAINER_AUTHORIZATION_TOKEN or its _FILE) must be the one the agent issued.',
		}),
	},
	{
		name: 'instance profile',
		configured: (env) => env.AWS_EC2_METADATA_DISABLED?.toLowerCase() !== 'true',
		settings: (env) => [env.AWS_EC2_METADATA_SERVICE_ENDPOINT ?? ''],
		fetch: async () => {
			const { fromInstanceMetadata } = await import('@smithy/credential-provider-imds');
			// IMDSv1 is the request-forgery risk IMDSv2 exists to close: never fall back to it.
			return await fromInstanceMetadata({ ec2MetadataV1Disabled: true })();
		},
		whyFailed: (env, error) => ({
			problem: `the instance metadata service${env.AWS_EC2_METADATA_SERVICE_ENDPOINT ? ` at ${env.AWS_EC2_METADATA_SERVICE_ENDPOINT}` : ''} is unreachable or has no instance profile (${messageOf(error)}); no other source is configured`,
			fix: 'On EC2, attach an instance profile and allow IMDSv2 with a hop limit of 2 when n8n runs in a container. Elsewhere set the variables of one source: AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN (EKS IRSA), AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI (ECS, EKS Pod Identity), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.',
		}),
	},
];

export class HostIdentityError extends Error {
	override name = 'HostIdentityError';
	constructor(
		readonly source: HostSourceName | undefined,
		problem: string,
		readonly fix: string,
	) {
		super(source ? `the n8n host's AWS identity (${source}) could not be had: ${problem}` : `the n8n host has no AWS identity: ${problem}`);
	}
}

/** Refresh host keys this long before they expire, as the SDK's own providers do. */
const REFRESH_MARGIN_MS = 5 * 60 * 1000;
/** One entry per source configuration; a process has one, tests switch between a few. */
const MAX_HOST_IDENTITIES = 16;
/** Enough for tokens that rotated during a long execution. */
const REMEMBERED_TOKENS = 6;

/** The host's keys, fetched once per process and renewed before they expire; shared by every item. */
const identities = new SessionCache(MAX_HOST_IDENTITIES, REFRESH_MARGIN_MS);
/** Web identity and container authorization tokens sent so far, newest first: never shown. */
let sentTokens: string[] = [];

function rememberToken(token: string): void {
	sentTokens = [token, ...sentTokens.filter((sent) => sent !== token)].slice(0, REMEMBERED_TOKENS);
}

function configuredSource(env: NodeJS.ProcessEnv): HostSource {
	const source = SOURCES.find((candidate) => candidate.configured(env));
	if (!source) {
		throw new HostIdentityError(
			undefined,
			'nothing is configured: no AWS_ACCESS_KEY_ID, no web identity token file, no container credentials, and AWS_EC2_METADATA_DISABLED is true',
			'Give the n8n host an identity: an EC2 instance profile, an ECS task role, or an EKS IRSA or Pod Identity role.',
		);
	}
	return source;
}

/**
 * The host identity, from the shared cache. `sts` is where a web identity token is exchanged: the
 * credential's STS endpoint, as every other STS call of the node.
 */
export async function currentHostIdentity(sts: StsTarget, signal?: AbortSignal): Promise<HostIdentity> {
	const env = process.env;
	const source = configuredSource(env);
	const key = [source.name, ...source.settings(env), source.name === 'web identity' ? sts.endpoint ?? sts.region : ''].join('|');
	const credentials = await identities.get(key, async () => await fetchFrom(source, env, sts), signal);
	return hostIdentity(source, credentials, () => identities.forget(key, credentials.accessKeyId));
}

/** A fresh answer from the host's source, bypassing the cache: what the Test button shows. */
export async function freshHostIdentity(sts: StsTarget): Promise<HostIdentity> {
	const source = configuredSource(process.env);
	return hostIdentity(source, await fetchFrom(source, process.env, sts), () => undefined);
}

function hostIdentity(source: HostSource, credentials: AwsCredentialIdentity, forget: () => void): HostIdentity {
	return { source: source.name, cacheKey: `${source.name}|${credentials.accessKeyId}`, credentials, forget };
}

async function fetchFrom(source: HostSource, env: NodeJS.ProcessEnv, sts: StsTarget): Promise<AwsCredentialIdentity> {
	try {
		return await source.fetch(env, sts, rememberToken);
	} catch (error) {
		const { problem, fix } = source.whyFailed(env, error);
		throw new HostIdentityError(source.name, problem, fix);
	}
}

/** Every host secret and token this process has seen, for redaction. */
export function hostSecrets(): string[] {
	const env = process.env;
	const fromEnv = [env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN, env.AWS_CONTAINER_AUTHORIZATION_TOKEN];
	return [...identities.allSecrets(), ...sentTokens, ...fromEnv.filter((value): value is string => !!value)];
}

/** How the Test button names the source that answered. */
export function describeSource(source: HostSourceName): string {
	return `the ${source}`;
}

function containerToken(env: NodeJS.ProcessEnv): string | undefined {
	const file = env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
	// Read on every fetch: EKS Pod Identity rotates the token file.
	return file ? readFileSync(file, 'utf8').trim() : env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
}

/**
 * Said in words rather than Node's text: n8n replaces a message containing ENOENT with its own
 * generic one, which would hide which file is missing.
 */
function fileProblem(error: unknown): string | undefined {
	const code = (error as { code?: unknown } | undefined)?.code;
	if (code === 'ENOENT') return 'does not exist';
	if (code === 'EACCES' || code === 'EPERM') return 'is not readable by the n8n process';
	if (code === 'EISDIR') return 'is a directory';
	return undefined;
}

function messageOf(error: unknown): string {
	const message = error instanceof Error ? error.message : String(error);
	return message.split('\n')[0];
}
