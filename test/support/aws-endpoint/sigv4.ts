import type { IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** A key the endpoint accepts: long-term, or temporary from AssumeRole (then with token and expiry). */
export interface KeyRecord {
	accessKeyId: string;
	secretAccessKey: string;
	sessionToken?: string;
	expiresAt?: number;
	/** The IAM user or assumed-role session this key belongs to. */
	principalArn: string;
	userId: string;
	accountId: string;
}

export type SignatureProblem = 'missing' | 'unknown-key' | 'bad-signature' | 'expired' | 'bad-token';

export interface SignatureCheck {
	accessKeyId?: string;
	region?: string;
	service?: string;
	hasSessionToken: boolean;
	key?: KeyRecord;
	problem?: SignatureProblem;
}

const AUTHORIZATION =
	/^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]*)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

/**
 * Re-signs the request as received with the secret the endpoint knows for its key, using the
 * client's own date, signed headers and credential scope, and compares the signatures.
 */
export async function checkSignature(
	request: { method: string; rawPath: string; query: Record<string, string>; headers: IncomingHttpHeaders; body: Buffer },
	lookup: (accessKeyId: string) => KeyRecord | undefined,
	acceptEmptyService = false,
): Promise<SignatureCheck> {
	const sessionToken = header(request.headers, 'x-amz-security-token');
	const base = { hasSessionToken: sessionToken !== undefined };
	const match = AUTHORIZATION.exec(header(request.headers, 'authorization') ?? '');
	const amzDate = header(request.headers, 'x-amz-date');
	if (!match || !amzDate) return { ...base, problem: 'missing' };
	const [, accessKeyId, , region, service, signedHeaderList, signature] = match;
	const scope = { ...base, accessKeyId, region, service };
	if (service === '' && !acceptEmptyService) return { ...scope, problem: 'bad-signature' };
	const key = lookup(accessKeyId);
	if (!key) return { ...scope, problem: 'unknown-key' };
	if (key.sessionToken !== undefined && key.sessionToken !== sessionToken) return { ...scope, key, problem: 'bad-token' };

	const signedHeaders = signedHeaderList.split(';');
	const headers: Record<string, string> = {};
	for (const name of signedHeaders) headers[name] = header(request.headers, name) ?? '';
	const signer = new SignatureV4({
		credentials: { accessKeyId, secretAccessKey: key.secretAccessKey, sessionToken },
		region,
		service,
		sha256: Sha256,
		applyChecksum: false,
	});
	const [hostname, port] = (headers.host ?? '127.0.0.1').split(':');
	const signed = await signer.sign(
		{
			method: request.method,
			protocol: 'http:',
			hostname,
			port: port ? Number(port) : undefined,
			path: request.rawPath,
			query: request.query,
			headers,
			body: request.body,
		},
		{ signingDate: parseAmzDate(amzDate), signableHeaders: new Set(signedHeaders) },
	);
	const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? signed.headers.Authorization))?.[1];
	if (expected !== signature) return { ...scope, key, problem: 'bad-signature' };
	if (key.expiresAt !== undefined && key.expiresAt <= Date.now()) return { ...scope, key, problem: 'expired' };
	return { ...scope, key };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
	const value = headers[name.toLowerCase()];
	return Array.isArray(value) ? value.join(',') : value;
}

function parseAmzDate(value: string): Date {
	const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
	if (!m) return new Date(Number.NaN);
	return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}
