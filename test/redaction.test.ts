/**
 * redact() on every form in which a secret reaches text from outside: as typed, inside JSON text
 * (where `/`, `"` and `\` are escaped) and URL-encoded (AWS secrets hold `/` and `+`, tokens `=`).
 */
import type { INode } from 'n8n-workflow';

import { redact, toNodeApiError } from '../nodes/AwsLambda/transport/errors';

const SECRET = 'wJalr/XUtn+FEMI"K7\\MDENG=bPxR=';
const TOKEN = 'IQoJb3JpZ2luX2VjE+/tokenPart==';

describe('redact', () => {
	it('removes the plain form', () => {
		expect(redact(`key=${SECRET}; token=${TOKEN}`, [SECRET, TOKEN])).toBe('key=[redacted]; token=[redacted]');
	});

	it('removes the JSON-escaped form of a secret holding / " and \\', () => {
		const json = JSON.stringify({ message: `signed with ${SECRET}` });
		const escapedSlash = json.replace(/\//g, '\\/');
		const nested = JSON.stringify({ log: json });
		for (const text of [json, escapedSlash, nested]) {
			const result = redact(text, [SECRET]);
			expect(result).not.toContain('XUtn');
		}
		expect(JSON.parse(redact(json, [SECRET]))).toEqual({ message: 'signed with [redacted]' });
	});

	it('removes the URL-encoded form, with upper- and lower-case percent escapes', () => {
		const upper = encodeURIComponent(TOKEN);
		const lower = upper.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
		expect(upper).toContain('%2F');
		expect(redact(`x-amz-security-token=${upper}&a=${lower}`, [TOKEN])).toBe('x-amz-security-token=[redacted]&a=[redacted]');
	});

	it('removes a URL-encoded secret whose JSON text escapes the percent-encoded form too', () => {
		const text = JSON.stringify({ url: `https://x/?t=${encodeURIComponent(SECRET)}` });
		expect(redact(text, [SECRET])).not.toContain('XUtn');
	});

	it('leaves text without secrets and ignores empty or very short values', () => {
		expect(redact('nothing to hide here', [SECRET, '', 'ab'])).toBe('nothing to hide here');
	});
});

const node: INode = {
	id: '1',
	name: 'AWS Lambda',
	type: 'n8n-nodes-aws-lambda.awsLambda',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};
const context = { node, itemIndex: 0, action: 'Invoke echo', region: 'us-east-1', secrets: [SECRET, TOKEN] };
/** Every own field of the error (errorResponse, messages, node, ...) plus message and stack. */
const visible = (error: Error) => JSON.stringify({ ...error, message: error.message, stack: error.stack });

describe('toNodeApiError', () => {
	it('redacts every field taken from the AWS error: name, message, Reason and request ID', () => {
		const awsError = Object.assign(new Error(`The request signature we calculated does not match. Canonical request: x-amz-security-token:${TOKEN}`), {
			name: `TooManyRequestsException`,
			Reason: `ReservedFunctionConcurrentInvocationLimitExceeded ${encodeURIComponent(SECRET)}`,
			$metadata: { httpStatusCode: 429, requestId: `req-${JSON.stringify(SECRET)}`, attempts: 1 },
		});
		const error = toNodeApiError(awsError, context);
		expect(error.message).toContain('throttled');
		expect(visible(error)).toContain('[redacted]');
		expect(visible(error)).not.toMatch(/XUtn|tokenPart/);
	});

	it('redacts an error name that echoes a secret', () => {
		const error = toNodeApiError(Object.assign(new Error('boom'), { name: `Weird${SECRET}` }), context);
		expect(visible(error)).toContain('[redacted]');
		expect(visible(error)).not.toMatch(/XUtn/);
	});

	it('redacts a network error message and keeps its explanation', () => {
		const error = toNodeApiError(Object.assign(new Error(`connect ECONNREFUSED https://u:${encodeURIComponent(SECRET)}@127.0.0.1`), { code: 'ECONNREFUSED' }), context);
		expect(error.message).toContain('connection was refused');
		expect(visible(error)).not.toMatch(/XUtn/);
	});
});
