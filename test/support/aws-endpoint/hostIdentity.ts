/**
 * The places an n8n host on AWS gets its own identity from, served on loopback as AWS serves them:
 * the EC2 instance metadata service (IMDSv2 only), the ECS / EKS Pod Identity container-credentials
 * endpoint, and STS AssumeRoleWithWebIdentity (EKS IRSA). Every key they hand out is registered with
 * the endpoint, so STS AssumeRole signed with it verifies.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import type { Reply } from './lambda';
import type { KeyRecord } from './sigv4';
import { stsError, stsOk } from './sts';

export const HOST_ACCOUNT_ID = '123456789012';
export const INSTANCE_ROLE_NAME = 'n8n-host-instance-role';
export const TASK_ROLE_NAME = 'n8n-host-task-role';
/** Any path below it answers, as each ECS task has its own (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI). */
export const CONTAINER_CREDENTIALS_PATH = '/container-credentials/';
export const DEFAULT_CONTAINER_TOKEN = 'local-container-authorization-token-DO-NOT-LEAK';
export const DEFAULT_WEB_IDENTITY_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.local-web-identity-token-DO-NOT-LEAK.c2lnbmF0dXJl';
export const WEB_IDENTITY_ROLE_ARN = `arn:aws:iam::${HOST_ACCOUNT_ID}:role/n8n-host-irsa-role`;

const IMDS_TOKEN_PATH = '/latest/api/token';
const IMDS_CREDENTIALS_PATH = '/latest/meta-data/iam/security-credentials/';
const IMDS_TTL_HEADER = 'x-aws-ec2-metadata-token-ttl-seconds';
const IMDS_TOKEN_HEADER = 'x-aws-ec2-metadata-token';

export type HostSourceKind = 'imds' | 'container' | 'webIdentity';

export class HostIdentityService {
	/** How long the keys handed out live; tests shorten it so that refresh is exercised. */
	lifetimeSeconds = 3600;
	/** Hands out keys that AWS already refuses as expired (revoked early) while they claim the usual lifetime. */
	revoked = false;
	containerToken = DEFAULT_CONTAINER_TOKEN;
	webIdentityToken = DEFAULT_WEB_IDENTITY_TOKEN;
	webIdentityRoleArn = WEB_IDENTITY_ROLE_ARN;
	/** Credentials handed out per source since the start. */
	readonly issued: Record<HostSourceKind, number> = { imds: 0, container: 0, webIdentity: 0 };
	/** Every key handed out, for tests that check no host key signs a Lambda call or shows up anywhere. */
	readonly handedOut: KeyRecord[] = [];
	private readonly imdsTokens = new Map<string, number>();

	constructor(private readonly register: (record: KeyRecord) => void) {}

	/** The reply when the request is for one of the host sources; undefined for any other request. */
	answer(req: IncomingMessage, rawPath: string, form: Record<string, string> | undefined): Reply | undefined {
		if (rawPath === IMDS_TOKEN_PATH) return this.imdsToken(req);
		if (rawPath.startsWith(IMDS_CREDENTIALS_PATH)) return this.imdsCredentials(req, rawPath.slice(IMDS_CREDENTIALS_PATH.length));
		if (rawPath.startsWith(CONTAINER_CREDENTIALS_PATH)) return this.containerCredentials(req);
		if (form?.Action === 'AssumeRoleWithWebIdentity') return this.assumeRoleWithWebIdentity(form);
		return undefined;
	}

	private imdsToken(req: IncomingMessage): Reply {
		const ttl = Number(header(req, IMDS_TTL_HEADER));
		if (req.method !== 'PUT' || !Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return text(400, 'Bad Request');
		const token = randomBytes(32).toString('base64');
		this.imdsTokens.set(token, Date.now() + ttl * 1000);
		return text(200, token);
	}

	/** IMDSv1 (no token) is refused, as on an instance that requires IMDSv2. */
	private imdsCredentials(req: IncomingMessage, roleName: string): Reply {
		const token = header(req, IMDS_TOKEN_HEADER) ?? '';
		if ((this.imdsTokens.get(token) ?? 0) < Date.now()) return text(401, 'Unauthorized');
		if (roleName === '') return text(200, INSTANCE_ROLE_NAME);
		if (roleName !== INSTANCE_ROLE_NAME) return text(404, 'Not Found');
		const record = this.issue('imds', `assumed-role/${INSTANCE_ROLE_NAME}/i-0123456789abcdef0`);
		return json({ Code: 'Success', LastUpdated: new Date().toISOString(), Type: 'AWS-HMAC', ...credentialsJson(record) });
	}

	private containerCredentials(req: IncomingMessage): Reply {
		if (header(req, 'authorization') !== this.containerToken) {
			return json({ code: 'AccessDeniedException', message: 'Authorization token is not valid for this container' }, 403);
		}
		const record = this.issue('container', `assumed-role/${TASK_ROLE_NAME}/0123456789abcdef0123456789abcdef`);
		return json({ ...credentialsJson(record), RoleArn: `arn:aws:iam::${HOST_ACCOUNT_ID}:role/${TASK_ROLE_NAME}` });
	}

	/** Unsigned, as in AWS: the token is the proof. */
	private assumeRoleWithWebIdentity(form: Record<string, string>): Reply {
		if (form.WebIdentityToken !== this.webIdentityToken) {
			return stsError(400, 'InvalidIdentityToken', 'The ID token provided is not a valid JWT. (You may see this error if you sent an Access Token)');
		}
		if (form.RoleArn !== this.webIdentityRoleArn) {
			return stsError(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
		}
		const sessionName = form.RoleSessionName || 'web-identity';
		const record = this.issue('webIdentity', `assumed-role/${form.RoleArn.split('/').pop() ?? 'role'}/${sessionName}`);
		return stsOk(
			'AssumeRoleWithWebIdentity',
			`<Credentials><AccessKeyId>${record.accessKeyId}</AccessKeyId><SecretAccessKey>${record.secretAccessKey}</SecretAccessKey><SessionToken>${record.sessionToken}</SessionToken><Expiration>${new Date(record.expiresAt ?? 0).toISOString()}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROALOCALHOSTIRSA:${sessionName}</AssumedRoleId><Arn>${record.principalArn}</Arn></AssumedRoleUser><SubjectFromWebIdentityToken>system:serviceaccount:n8n:n8n</SubjectFromWebIdentityToken>`,
		);
	}

	private issue(kind: HostSourceKind, principal: string): KeyRecord {
		this.issued[kind]++;
		const serial = `${kind.slice(0, 4).toUpperCase()}${String(this.issued[kind]).padStart(7, '0')}`;
		const record: KeyRecord = {
			accessKeyId: `ASIAHOST${serial}`,
			secretAccessKey: `host-secret-${randomBytes(24).toString('base64')}`,
			sessionToken: `LOCALHOSTTOKEN${randomBytes(64).toString('base64')}`,
			expiresAt: Date.now() + this.lifetimeSeconds * 1000,
			principalArn: `arn:aws:sts::${HOST_ACCOUNT_ID}:${principal}`,
			userId: `AROALOCALHOST${serial}`,
			accountId: HOST_ACCOUNT_ID,
		};
		this.register(this.revoked ? { ...record, expiresAt: Date.now() - 1 } : record);
		this.handedOut.push(record);
		return record;
	}
}

function credentialsJson(record: KeyRecord) {
	return {
		AccessKeyId: record.accessKeyId,
		SecretAccessKey: record.secretAccessKey,
		Token: record.sessionToken,
		Expiration: new Date(record.expiresAt ?? 0).toISOString(),
	};
}

function text(status: number, body: string): Reply {
	return { status, headers: { 'Content-Type': 'text/plain' }, body };
}

function json(body: object, status = 200): Reply {
	return { status, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
}

function header(req: IncomingMessage, name: string): string | undefined {
	const value = req.headers[name];
	return Array.isArray(value) ? value[0] : value;
}
