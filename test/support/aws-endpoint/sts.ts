import { randomBytes, randomUUID } from 'node:crypto';

import type { Reply } from './lambda';
import type { KeyRecord } from './sigv4';

export interface RoleDef {
	roleArn: string;
	externalId?: string;
	maxSessionDuration?: number;
}

const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

export function stsError(status: number, code: string, message: string, type = 'Sender'): Reply {
	return {
		status,
		errorType: code,
		headers: { 'Content-Type': 'text/xml' },
		body: `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
	};
}

export function stsOk(action: string, result: string): Reply {
	return {
		status: 200,
		headers: { 'Content-Type': 'text/xml' },
		body: `<${action}Response xmlns="${XMLNS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
	};
}

export interface AssumeRoleInput {
	RoleArn?: string;
	RoleSessionName?: string;
	ExternalId?: string;
	DurationSeconds?: string;
}

export class StsService {
	private issuedCount = 0;

	constructor(
		private readonly roles: RoleDef[],
		private readonly issue: (record: KeyRecord) => void,
	) {}

	get issued(): number {
		return this.issuedCount;
	}

	assumeRole(caller: KeyRecord, input: AssumeRoleInput, expirySeconds: number | undefined): Reply {
		const role = this.roles.find((candidate) => candidate.roleArn === input.RoleArn);
		const denied = stsError(403, 'AccessDenied', `User: ${caller.principalArn} is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn ?? ''}`);
		if (!role || (role.externalId ?? undefined) !== (input.ExternalId || undefined)) return denied;
		const sessionName = input.RoleSessionName ?? '';
		if (!SESSION_NAME.test(sessionName)) {
			return stsError(400, 'ValidationError', `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
		}
		const duration = input.DurationSeconds === undefined ? 3600 : Number(input.DurationSeconds);
		if (!Number.isInteger(duration) || duration < 900 || duration > (role.maxSessionDuration ?? 43200)) {
			return stsError(400, 'ValidationError', `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`);
		}
		this.issuedCount++;
		const roleName = role.roleArn.split('/').pop() ?? 'role';
		const accountId = role.roleArn.split(':')[4];
		const roleId = `AROALOCALTEST${String(this.issuedCount).padStart(7, '0')}`;
		const expiresAt = Date.now() + (expirySeconds ?? duration) * 1000;
		const record: KeyRecord = {
			accessKeyId: `ASIALOCAL${String(this.issuedCount).padStart(11, '0')}`,
			secretAccessKey: randomBytes(30).toString('base64'),
			sessionToken: `LOCALSESSION${randomBytes(96).toString('base64')}`,
			expiresAt,
			principalArn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
			userId: `${roleId}:${sessionName}`,
			accountId,
		};
		this.issue(record);
		return stsOk(
			'AssumeRole',
			`<Credentials><AccessKeyId>${record.accessKeyId}</AccessKeyId><SecretAccessKey>${record.secretAccessKey}</SecretAccessKey><SessionToken>${record.sessionToken}</SessionToken><Expiration>${new Date(expiresAt).toISOString()}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>${record.userId}</AssumedRoleId><Arn>${record.principalArn}</Arn></AssumedRoleUser>`,
		);
	}

	getCallerIdentity(caller: KeyRecord): Reply {
		return stsOk('GetCallerIdentity', `<Arn>${caller.principalArn}</Arn><UserId>${caller.userId}</UserId><Account>${caller.accountId}</Account>`);
	}
}

/**
 * 200 with a body no XML parser accepts (`truncated`: what a broken proxy or a wrong endpoint
 * returns), or well-formed XML whose result lacks the credentials (`withoutCredentials`: an
 * STS-compatible service that gets the API wrong).
 */
export function malformedStsReply(shape: 'truncated' | 'withoutCredentials' = 'truncated'): Reply {
	if (shape === 'withoutCredentials') return stsOk('AssumeRole', '<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/x/y</Arn></AssumedRoleUser>');
	return { status: 200, headers: { 'Content-Type': 'text/xml' }, body: '<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>' };
}

function escapeXml(text: string): string {
	return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
