import { createHash } from 'node:crypto';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { ICredentialDataDecryptedObject, IDataObject, INode } from 'n8n-workflow';

import { inputError } from '../input/errors';
import { currentHostIdentity, HOST_OPT_IN_VARIABLE, hostIdentityAllowed, hostSecrets } from './hostIdentity';
import { SessionCache, touch } from './sessions';
import type { RoleRequest } from './sts';
import { assumeRole, AssumeRoleError, stsTargetForRole } from './sts';

export { AssumeRoleError, MalformedStsResponseError, StsTimeoutError } from './sts';
export { HostIdentityError } from './hostIdentity';

export const ACCESS_KEY_CREDENTIAL = 'awsLambdaAccessKeyApi';
export const ASSUME_ROLE_CREDENTIAL = 'awsLambdaAssumeRoleApi';

export type Authentication = 'accessKey' | 'assumeRole';

export interface KeyPair {
	accessKeyId: string;
	secretAccessKey: string;
	sessionToken?: string;
}

export type RoleSettings = RoleRequest;

/** Everything needed to sign a request, plus the values that must never be shown. */
export interface AwsAccess {
	/** Stable across items with the same identity; holds no secret (hashes only). */
	cacheKey: string;
	credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
	lambdaEndpoint?: string;
	stsEndpoint?: string;
	role?: RoleSettings;
	/** Key of the cached assumed-role session, when a role is assumed. */
	readonly sessionKey?: string;
	/** Read when an error is shown: includes the temporary secrets and tokens issued for the role so far. */
	readonly secrets: string[];
}

const ROLE_ARN = /^arn:aws(-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f|-eusc)?:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
/** AWS's cap on a session assumed with another role's session (role chaining), as the host's always is. */
const MAX_CHAINED_DURATION_SECONDS = 3600;
/** Refresh assumed-role keys this long before they expire, so no request is signed with keys about to lapse. */
const REFRESH_MARGIN_MS = 5 * 60 * 1000;
/** Enough for every role a busy instance uses, small enough that per-tenant keys cannot grow it without end. */
const MAX_CACHED_SESSIONS = 1000;

/** Where the credential field values come from, for error messages. */
interface Source {
	node: INode;
	itemIndex: number;
}

const DYNAMIC_FIELDS = {
	accessKeyId: { label: 'Dynamic Access Key ID', secret: false },
	secretAccessKey: { label: 'Dynamic Secret Access Key', secret: true },
	sessionToken: { label: 'Dynamic Session Token', secret: true },
} as const;

type DynamicField = keyof typeof DYNAMIC_FIELDS;

/**
 * Checks each Dynamic Credentials field against what the user typed (`raw`, the node's stored
 * parameters): n8n saves typed-in values in the workflow JSON, its history and every execution, so
 * a secret must come from an expression; and an expression that resolves to nothing must not fall
 * back silently to the credential's keys. A field missing from `resolved` was not evaluated (the
 * function picker has no item) and counts as not given.
 */
function assertDynamicFieldsUsable(source: Source, raw: IDataObject | undefined, resolved: IDataObject): void {
	for (const field of Object.keys(DYNAMIC_FIELDS) as DynamicField[]) {
		const typed = raw?.[field];
		if (typeof typed !== 'string' || typed.trim() === '') continue;
		const { label, secret } = DYNAMIC_FIELDS[field];
		if (secret && !typed.startsWith('=')) {
			throw inputError(
				source.node,
				source.itemIndex,
				label,
				'a typed-in value is stored in plain text in the workflow, its history and every execution',
				`Use an expression instead, for example {{ $json.${field} }} to read it from a previous node or {{ $secrets.<vault>.<name> }} from an external secrets store, or move the keys into the credential. A value that was typed in is already in the saved workflow: rotate that key.`,
			);
		}
		if (field in resolved && trimmed(resolved[field]) === undefined) {
			throw inputError(
				source.node,
				source.itemIndex,
				label,
				'the expression resolved to an empty value',
				'Check the expression and the item it reads. To sign with the credential\'s keys instead, clear the field.',
			);
		}
	}
}

export function readDynamicKeyPair(source: Source, dynamic: IDataObject, raw?: IDataObject): KeyPair | undefined {
	assertDynamicFieldsUsable(source, raw, dynamic);
	const accessKeyId = trimmed(dynamic.accessKeyId);
	const secretAccessKey = trimmed(dynamic.secretAccessKey);
	const sessionToken = trimmed(dynamic.sessionToken);
	if (!accessKeyId && !secretAccessKey) {
		if (sessionToken) {
			throw inputError(
				source.node,
				source.itemIndex,
				DYNAMIC_FIELDS.sessionToken.label,
				'a session token was given without an access key pair',
				'A session token belongs to temporary keys: also fill Dynamic Access Key ID and Dynamic Secret Access Key, or clear the token.',
			);
		}
		return undefined;
	}
	if (!accessKeyId || !secretAccessKey) {
		const missing = DYNAMIC_FIELDS[accessKeyId ? 'secretAccessKey' : 'accessKeyId'].label;
		throw inputError(
			source.node,
			source.itemIndex,
			missing,
			'is empty while the other half of the key pair is set',
			'Fill both Dynamic Access Key ID and Dynamic Secret Access Key, or clear both to use the credential.',
		);
	}
	return { accessKeyId, secretAccessKey, sessionToken };
}

export function readCredentialKeyPair(
	source: Source,
	data: ICredentialDataDecryptedObject,
	credentialName: string,
): KeyPair {
	const accessKeyId = trimmed(data.accessKeyId);
	const secretAccessKey = trimmed(data.secretAccessKey);
	if (!accessKeyId || !secretAccessKey) {
		throw inputError(
			source.node,
			source.itemIndex,
			credentialName,
			'the credential has no Access Key ID or no Secret Access Key',
			'Open the credential and fill both fields, or supply them in Dynamic Credentials.',
		);
	}
	return { accessKeyId, secretAccessKey, sessionToken: trimmed(data.sessionToken) };
}

export function readRoleSettings(source: Source, data: ICredentialDataDecryptedObject): RoleSettings {
	const fail = (field: string, problem: string, fix: string) =>
		inputError(source.node, source.itemIndex, `Credential field ${field}`, problem, fix);
	const roleArn = trimmed(data.roleArn) ?? '';
	if (!ROLE_ARN.test(roleArn)) {
		throw fail(
			'Role ARN',
			`"${roleArn}" is not an IAM role ARN`,
			'Copy the ARN from the role\'s summary page in the IAM console: arn:aws:iam::123456789012:role/NAME.',
		);
	}
	const externalId = trimmed(data.externalId);
	if (externalId !== undefined && !EXTERNAL_ID.test(externalId)) {
		throw fail(
			'External ID',
			'must be 2 to 1,224 characters of letters, digits and +=,.@:/-_',
			'Use the External ID from the role\'s trust policy (condition sts:ExternalId).',
		);
	}
	const roleSessionName = trimmed(data.roleSessionName) ?? 'n8n-aws-lambda';
	if (!SESSION_NAME.test(roleSessionName)) {
		throw fail(
			'Role Session Name',
			`"${roleSessionName}" is not allowed`,
			'Use 2 to 64 characters of letters, digits and +=,.@-_.',
		);
	}
	const durationSeconds = Number(data.durationSeconds ?? 3600);
	if (!Number.isInteger(durationSeconds) || durationSeconds < 900 || durationSeconds > 43200) {
		throw fail(
			'Session Duration',
			`${String(data.durationSeconds)} is out of range`,
			'AWS accepts 900 to 43,200 seconds, and no more than the role\'s maximum session duration.',
		);
	}
	return { roleArn, externalId, roleSessionName, durationSeconds };
}

export function readEndpoints(
	source: Source,
	data: ICredentialDataDecryptedObject | undefined,
): { lambdaEndpoint?: string; stsEndpoint?: string } {
	if (!data?.customEndpoints) return {};
	return {
		lambdaEndpoint: readEndpoint(source, 'Lambda Endpoint', data.lambdaEndpoint),
		stsEndpoint: readEndpoint(source, 'STS Endpoint', data.stsEndpoint),
	};
}

function readEndpoint(source: Source, field: string, value: unknown): string | undefined {
	const text = trimmed(value);
	if (!text) return undefined;
	const url = URL.canParse(text) ? new URL(text) : undefined;
	if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
		throw inputError(
			source.node,
			source.itemIndex,
			`Credential field ${field}`,
			`"${text}" is not an http(s) URL`,
			'Enter a full URL such as https://lambda.eu-west-1.amazonaws.com, or leave it empty for the AWS default.',
		);
	}
	return text;
}

/** Which identity assumes the role: the keys stored in the credential, or the n8n host's own. */
export type CredentialsSource = 'stored' | 'host';

export function readCredentialsSource(data: ICredentialDataDecryptedObject): CredentialsSource {
	return data.credentialsSource === 'host' ? 'host' : 'stored';
}

/** Refuses the host source unless the administrator turned it on for this n8n process. */
export function assertHostIdentityAllowed(source: Source): void {
	if (hostIdentityAllowed()) return;
	throw inputError(
		source.node,
		source.itemIndex,
		'Credential field Credentials Source',
		'n8n Host\'s AWS Identity is turned off on this n8n instance',
		`Ask the n8n administrator to start n8n with ${HOST_OPT_IN_VARIABLE}=true. The variable exists so that only the administrator decides whether workflows may use the server's own AWS identity (and then only to assume a role). Or set Credentials Source to Stored Access Key.`,
	);
}

/**
 * The host's identity is itself a role session (instance profile, task role, IRSA), so assuming the
 * workflow role with it is role chaining, which AWS caps at one hour. Refused up front rather than
 * clamped: a clamped session would silently last a quarter of what the credential says.
 */
export function assertChainableDuration(source: Source, role: RoleSettings): void {
	if (role.durationSeconds <= MAX_CHAINED_DURATION_SECONDS) return;
	throw inputError(
		source.node,
		source.itemIndex,
		'Credential field Session Duration',
		`${role.durationSeconds} seconds is over the 3,600 AWS allows when the n8n host's AWS identity assumes the role (role chaining)`,
		'Set Session Duration to 3,600 seconds or less. Sessions are renewed automatically before they expire.',
	);
}

export function buildAccess(
	keys: KeyPair,
	endpoints: { lambdaEndpoint?: string; stsEndpoint?: string },
	role: RoleSettings | undefined,
	region: string,
	/** The execution's cancel signal: a cancelled item stops waiting for AssumeRole. */
	signal?: AbortSignal,
): AwsAccess {
	const secrets = [keys.secretAccessKey, keys.sessionToken].filter(isText);
	const identity = [keys.accessKeyId, fingerprint(keys.secretAccessKey), fingerprint(keys.sessionToken ?? '')];
	if (!role) {
		return {
			cacheKey: [...identity, endpoints.lambdaEndpoint ?? ''].join('|'),
			credentials: keys,
			...endpoints,
			secrets,
		};
	}
	const roleKey = [
		...identity,
		role.roleArn,
		role.externalId ?? '',
		role.roleSessionName,
		role.durationSeconds,
		endpoints.stsEndpoint ?? '',
	].join('|');
	const target = stsTargetForRole(role.roleArn, region, endpoints.stsEndpoint);
	return {
		cacheKey: `${roleKey}|${endpoints.lambdaEndpoint ?? ''}`,
		credentials: async () => await sessions.get(roleKey, async () => await assumeRole(keys, role, target), signal),
		...endpoints,
		role,
		sessionKey: roleKey,
		get secrets() {
			return [...secrets, ...sessions.secretsOf(roleKey)];
		},
	};
}

/**
 * The role assumed with the n8n host's own identity. The host identity only ever signs AssumeRole:
 * the Lambda calls are signed with the role's session. Sessions are keyed on the host's current
 * access key, so a changed instance role never reuses a session the old one assumed.
 */
export function buildHostAccess(
	endpoints: { lambdaEndpoint?: string; stsEndpoint?: string },
	role: RoleSettings,
	region: string,
	signal?: AbortSignal,
): AwsAccess {
	const roleSettings = [role.roleArn, role.externalId ?? '', role.roleSessionName, role.durationSeconds, endpoints.stsEndpoint ?? ''].join('|');
	const target = stsTargetForRole(role.roleArn, region, endpoints.stsEndpoint);
	const assume = async (renewHost = true): Promise<AwsCredentialIdentity> => {
		const host = await currentHostIdentity(target, signal).catch((error: unknown) => {
			throw new AssumeRoleError(role.roleArn, error);
		});
		const sessionKey = `${host.cacheKey}|${roleSettings}`;
		touch(hostSessionKeys, roleSettings, sessionKey, MAX_CACHED_SESSIONS);
		try {
			return await sessions.get(sessionKey, async () => await assumeRole(host.credentials, role, target), signal);
		} catch (error) {
			// The host keys expired early (revoked, or a clock ahead of ours): STS refused, nothing ran; fetch them again once.
			if (!renewHost || !isExpiredSession((error as AssumeRoleError).cause)) throw error;
			host.forget();
			return await assume(false);
		}
	};
	return {
		cacheKey: `host|${roleSettings}|${endpoints.lambdaEndpoint ?? ''}`,
		credentials: async () => await assume(),
		...endpoints,
		role,
		get sessionKey() {
			return hostSessionKeys.get(roleSettings);
		},
		get secrets() {
			const sessionKey = hostSessionKeys.get(roleSettings);
			return [...hostSecrets(), ...(sessionKey ? sessions.secretsOf(sessionKey) : [])];
		},
	};
}

/**
 * The session key the host identity last used per role settings: any item's client may have assumed
 * the role, and every item must be able to evict a session AWS rejected.
 */
const hostSessionKeys = new Map<string, string>();

/**
 * Temporary keys per (base identity, role, external ID, session name, duration, STS endpoint), shared
 * by every item, client and execution of this process.
 */
const sessions = new SessionCache(MAX_CACHED_SESSIONS, REFRESH_MARGIN_MS);

/** AWS's ways of saying a session no longer works: expired, revoked (denied) or unknown. */
const REJECTED_SESSION = new Set([
	'ExpiredTokenException',
	'ExpiredToken',
	'AccessDeniedException',
	'AccessDenied',
	'UnrecognizedClientException',
	'InvalidClientTokenId',
]);
const EXPIRED_SESSION = new Set(['ExpiredTokenException', 'ExpiredToken']);

/** The client a failed call was sent with: its memoized identity is the session that signed the call. */
export interface SigningClient {
	config: { credentials: () => Promise<AwsCredentialIdentity> };
}

/**
 * After a failed call: evicts the assumed-role session AWS rejected, so the next call assumes the role
 * again — unless another item already replaced it. Returns whether to repeat the call with a renewed
 * session: only for an expired one (AWS refused the call, nothing ran, and a new session fixes it). A
 * denied or unknown session is evicted for the next execution but not retried: when the role lacks a
 * permission, a retry per item would assume the role once per item.
 */
export async function forgetRejectedSession(access: AwsAccess, error: unknown, client: SigningClient): Promise<boolean> {
	const name = (error as { name?: string } | undefined)?.name ?? '';
	if (!access.sessionKey || !REJECTED_SESSION.has(name)) return false;
	const signedWith = await client.config.credentials();
	sessions.forget(access.sessionKey, signedWith.accessKeyId);
	return isExpiredSession(error);
}

function isExpiredSession(error: unknown): boolean {
	return EXPIRED_SESSION.has((error as { name?: string } | undefined)?.name ?? '');
}

export function fingerprint(secret: string): string {
	return secret ? createHash('sha256').update(secret).digest('base64url').slice(0, 16) : '';
}

function trimmed(value: unknown): string | undefined {
	if (typeof value !== 'string') return undefined;
	const text = value.trim();
	return text === '' ? undefined : text;
}

function isText(value: string | undefined): value is string {
	return typeof value === 'string' && value.length > 0;
}

export interface AccessInput {
	node: INode;
	itemIndex: number;
	authentication: Authentication;
	/** The node's Dynamic Credentials collection for this item. */
	dynamic: IDataObject;
	/** The selected credential's data; absent when none is selected. */
	credential?: ICredentialDataDecryptedObject;
	region: string;
	/** The execution's cancel signal. */
	signal?: AbortSignal;
}

/**
 * Dynamic keys win over the credential's keys, and over the host's identity. With an assumed role
 * they are the identity that assumes it; with access keys a credential is optional, so a workflow that supplies every key
 * dynamically needs no placeholder credential.
 */
export function resolveAccess(input: AccessInput): AwsAccess {
	const source = { node: input.node, itemIndex: input.itemIndex };
	const dynamicKeys = readDynamicKeyPair(source, input.dynamic, input.node.parameters?.dynamicCredentials as IDataObject | undefined);
	const endpoints = readEndpoints(source, input.credential);
	if (input.authentication === 'assumeRole') {
		if (!input.credential) throw missingCredential(source, 'AWS Lambda (Assume Role) API');
		const role = readRoleSettings(source, input.credential);
		if (readCredentialsSource(input.credential) === 'host') {
			assertHostIdentityAllowed(source);
			if (!dynamicKeys) {
				assertChainableDuration(source, role);
				return buildHostAccess(endpoints, role, input.region, input.signal);
			}
		}
		const keys =
			dynamicKeys ?? readCredentialKeyPair(source, input.credential, 'AWS Lambda (Assume Role) API credential');
		return buildAccess(keys, endpoints, role, input.region, input.signal);
	}
	if (dynamicKeys) return buildAccess(dynamicKeys, endpoints, undefined, input.region);
	if (!input.credential) throw missingCredential(source, 'AWS Lambda (Access Key) API');
	return buildAccess(
		readCredentialKeyPair(source, input.credential, 'AWS Lambda (Access Key) API credential'),
		endpoints,
		undefined,
		input.region,
	);
}

function missingCredential(source: Source, credentialName: string) {
	return inputError(
		source.node,
		source.itemIndex,
		'Credential',
		`no ${credentialName} credential is selected`,
		credentialName.includes('Assume Role')
			? 'Select or create an AWS Lambda (Assume Role) API credential: it holds the role to assume.'
			: 'Select an AWS Lambda (Access Key) API credential, or fill Dynamic Access Key ID and Dynamic Secret Access Key.',
	);
}

export function credentialTypeFor(authentication: Authentication): string {
	return authentication === 'assumeRole' ? ASSUME_ROLE_CREDENTIAL : ACCESS_KEY_CREDENTIAL;
}
