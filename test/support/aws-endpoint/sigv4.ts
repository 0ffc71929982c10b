/**
 * SigV4 verification written from AWS's documented algorithm with node:crypto only, so that a bug in
 * the client's signer cannot be mirrored here and pass unnoticed.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

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

export type SignatureProblem = 'missing' | 'unknown-key' | 'bad-signature' | 'wrong-service' | 'skewed' | 'expired' | 'bad-token';

/** The two strings AWS quotes back when it refuses a signature. */
export interface CanonicalStrings {
	request: string;
	stringToSign: string;
}

export interface SignatureCheck {
	accessKeyId?: string;
	region?: string;
	service?: string;
	hasSessionToken: boolean;
	key?: KeyRecord;
	problem?: SignatureProblem;
	/** AWS's wording for the refusal when it depends on the request. */
	message?: string;
	canonical?: CanonicalStrings;
}

export interface ReceivedRequest {
	method: string;
	/** The path exactly as sent, still percent-encoded. */
	rawPath: string;
	/** The query string exactly as sent, without the `?`. */
	rawQuery: string;
	headers: IncomingHttpHeaders;
	body: Buffer;
}

export interface VerifyOptions {
	/** The signing service the addressed API requires (`lambda`, `sts`); unchecked when undefined. */
	expectedService?: string;
	acceptEmptyService?: boolean;
	now?: number;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_SKEW_MS = 5 * 60 * 1000;
const AUTHORIZATION =
	/^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]*)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

export const SIGNATURE_MISMATCH =
	'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/** AWS's refusal text for a signature it recomputed differently: it quotes both strings it computed. */
export function signatureMismatchMessage(canonical: CanonicalStrings): string {
	return `${SIGNATURE_MISMATCH}\n\nThe Canonical String for this request should have been\n'${canonical.request}'\n\nThe String-to-Sign should have been\n'${canonical.stringToSign}'\n`;
}

/** Verifies the Authorization header of a request against the secret the endpoint knows for its key. */
export function checkSignature(
	request: ReceivedRequest,
	lookup: (accessKeyId: string) => KeyRecord | undefined,
	options: VerifyOptions = {},
): SignatureCheck {
	const sessionToken = header(request.headers, 'x-amz-security-token');
	const base = { hasSessionToken: sessionToken !== undefined };
	const match = AUTHORIZATION.exec(header(request.headers, 'authorization') ?? '');
	const amzDate = header(request.headers, 'x-amz-date');
	if (!match || !amzDate) return { ...base, problem: 'missing' };
	const [, accessKeyId, scopeDate, region, service, signedHeaderList, signature] = match;
	const scope = { ...base, accessKeyId, region, service };
	const serviceRefusal = checkScopedService(service, options);
	if (serviceRefusal) return { ...scope, problem: 'wrong-service', message: serviceRefusal };
	const key = lookup(accessKeyId);
	if (!key) return { ...scope, problem: 'unknown-key' };
	if (key.sessionToken !== undefined && key.sessionToken !== sessionToken) return { ...scope, key, problem: 'bad-token' };
	const skew = checkClockSkew(amzDate, options.now ?? Date.now());
	if (skew) return { ...scope, key, problem: 'skewed', message: skew };

	const credentialScope = `${scopeDate}/${region}/${service}/aws4_request`;
	const canonical = canonicalStrings(request, signedHeaderList.split(';'), amzDate, credentialScope);
	const expected = sign(signingKey(key.secretAccessKey, scopeDate, region, service), canonical.stringToSign);
	const checked = { ...scope, key, canonical };
	if (!amzDate.startsWith(scopeDate) || !sameHex(expected, signature)) {
		return { ...checked, problem: 'bad-signature', message: signatureMismatchMessage(canonical) };
	}
	if (key.expiresAt !== undefined && key.expiresAt <= (options.now ?? Date.now())) return { ...checked, problem: 'expired' };
	return checked;
}

/** The canonical request and string to sign, as AWS's SigV4 documentation defines them. */
export function canonicalStrings(request: ReceivedRequest, signedHeaders: string[], amzDate: string, credentialScope: string): CanonicalStrings {
	const canonicalRequest = [
		request.method,
		canonicalPath(request.rawPath),
		canonicalQuery(request.rawQuery),
		signedHeaders.map((name) => `${name}:${canonicalHeaderValue(header(request.headers, name))}\n`).join(''),
		signedHeaders.join(';'),
		sha256Hex(request.body),
	].join('\n');
	return {
		request: canonicalRequest,
		stringToSign: [ALGORITHM, amzDate, credentialScope, sha256Hex(canonicalRequest)].join('\n'),
	};
}

/** HMAC chain from `AWS4` + secret through date, region, service and `aws4_request`. */
export function signingKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
	return [date, region, service, 'aws4_request'].reduce<Buffer | string>((key, part) => hmac(key, part), `AWS4${secretAccessKey}`) as Buffer;
}

export function sign(key: Buffer, stringToSign: string): string {
	return hmac(key, stringToSign).toString('hex');
}

/**
 * Services other than S3 sign each path segment encoded twice: the client already percent-encoded
 * it on the wire (an ARN's `:` as `%3A`), and the canonical form encodes that again (`%253A`).
 */
function canonicalPath(rawPath: string): string {
	const segments: string[] = [];
	for (const segment of rawPath.split('/')) {
		if (segment === '' || segment === '.') continue;
		if (segment === '..') segments.pop();
		else segments.push(uriEncode(segment));
	}
	const trailingSlash = segments.length > 0 && rawPath.endsWith('/') ? '/' : '';
	return `/${segments.join('/')}${trailingSlash}`;
}

function canonicalQuery(rawQuery: string): string {
	return rawQuery
		.split('&')
		.filter((pair) => pair !== '')
		.map((pair) => {
			const equals = pair.indexOf('=');
			const [name, value] = equals < 0 ? [pair, ''] : [pair.slice(0, equals), pair.slice(equals + 1)];
			return `${uriEncode(decode(name))}=${uriEncode(decode(value))}`;
		})
		.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
		.join('&');
}

function canonicalHeaderValue(value: string | undefined): string {
	return (value ?? '').trim().replace(/\s+/g, ' ');
}

function checkScopedService(service: string, options: VerifyOptions): string | undefined {
	if (service === '' && options.acceptEmptyService) return undefined;
	if (options.expectedService === undefined ? service !== '' : service === options.expectedService) return undefined;
	return `Credential should be scoped to correct service: '${options.expectedService ?? 'the addressed service'}'. `;
}

/** AWS refuses a request dated more than five minutes from its own clock, either way. */
function checkClockSkew(amzDate: string, now: number): string | undefined {
	const signedAt = parseAmzDate(amzDate);
	if (Number.isNaN(signedAt)) return `Date must be in ISO-8601 'basic format'. Got '${amzDate}'.`;
	if (signedAt < now - MAX_SKEW_MS) {
		return `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - MAX_SKEW_MS)} (${formatAmzDate(now)} - 5 min.)`;
	}
	if (signedAt > now + MAX_SKEW_MS) {
		return `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(now + MAX_SKEW_MS)} (${formatAmzDate(now)} + 5 min.)`;
	}
	return undefined;
}

/** RFC 3986 unreserved characters stay; everything else is %XX in upper case, as SigV4 requires. */
function uriEncode(text: string): string {
	return encodeURIComponent(text).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(text: string): string {
	try {
		return decodeURIComponent(text);
	} catch {
		return text;
	}
}

function hmac(key: Buffer | string, data: string): Buffer {
	return createHmac('sha256', key).update(data, 'utf8').digest();
}

function sha256Hex(data: Buffer | string): string {
	return createHash('sha256').update(data).digest('hex');
}

function sameHex(a: string, b: string): boolean {
	return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
	const value = headers[name.toLowerCase()];
	return Array.isArray(value) ? value.join(',') : value;
}

function parseAmzDate(value: string): number {
	const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
	return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : Number.NaN;
}

function formatAmzDate(time: number): string {
	return new Date(time).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}
