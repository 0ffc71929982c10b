/**
 * Explanations that the wire tests do not reach, fed with errors in the shapes the SDK and Node
 * produce: the SDK's own request timeout (a read waits 60 s per attempt, five times), STS's error
 * names, answers without a name or message, and a function error without the runtime's fields.
 */
import type { INode } from 'n8n-workflow';

import { FunctionError, redact, toNodeApiError } from '../nodes/AwsLambda/transport/errors';
import { AssumeRoleError } from '../nodes/AwsLambda/transport/sts';
import type { FailureContext } from '../nodes/AwsLambda/transport/errors';

const node: INode = { id: 'n', name: 'Lambda', type: 'awsLambda', typeVersion: 1, position: [0, 0], parameters: {} };
const context = (extra: Partial<FailureContext> = {}): FailureContext => ({
	node,
	itemIndex: 2,
	action: 'List functions',
	region: 'us-east-1',
	secrets: [],
	...extra,
});

/** What @smithy/node-http-handler throws when `requestTimeout` passes with `throwOnRequestTimeout`. */
function sdkRequestTimeout(ms: number): Error {
	const message = `@smithy/node-http-handler - [ERROR] a request has exceeded the configured ${ms} ms requestTimeout.`;
	return Object.assign(new Error(message), { name: 'TimeoutError', code: 'ETIMEDOUT' });
}

describe('the SDK request timeout', () => {
	it('names the limit in seconds and how to deal with it', () => {
		const error = toNodeApiError(sdkRequestTimeout(60_000), context({ timeoutMs: 60_000 }));
		expect(error.message).toBe('List functions failed (item 2): no answer from AWS Lambda within 60 seconds');
		expect(error.description).toMatch(/^AWS answers this call in well under a second: check the network path/);
	});

	it('says "in time" when no limit is known', () => {
		const error = toNodeApiError(sdkRequestTimeout(1), context());
		expect(error.message).toBe('List functions failed (item 2): no answer from AWS Lambda in time');
	});
});

describe('identity and permission errors, as STS or Lambda names them, on a Lambda call', () => {
	it.each([
		['ExpiredToken', /^List functions failed \(item 2\): the session token has expired$/, /^Temporary keys expire/],
		['ExpiredTokenException', /^List functions failed \(item 2\): the session token has expired$/, /^Temporary keys expire/],
		['SignatureDoesNotMatch', /the secret access key is wrong$/, /^Re-enter the Secret Access Key/],
		['InvalidClientTokenId', /does not recognise the access key ID$/, /^Check the Access Key ID/],
		['AccessDenied', /access denied: what STS said$/, /^Grant the identity lambda:InvokeFunction/],
		['AccessDeniedException', /access denied: what STS said$/, /^Grant the identity lambda:InvokeFunction/],
	])('%s reads as AWS meant it', (name, problem, fix) => {
		const aws = Object.assign(new Error('what STS said'), { name, $fault: 'client', $metadata: { httpStatusCode: 403, requestId: 'r-1' } });
		const error = toNodeApiError(aws, context());
		expect(error.message).toMatch(problem);
		expect(error.description).toMatch(fix);
	});
});

describe('answers that say little', () => {
	it.each([undefined, null])('summarises a thrown %s as a nameless Error without a message', (thrown) => {
		const error = toNodeApiError(thrown, context());
		expect(error.errorResponse).toEqual({ name: 'Error', message: '' });
		expect(error.description).not.toMatch(/AWS said/);
	});

	it('explains a bare HTTP error status of a custom endpoint', () => {
		const unknown = Object.assign(new Error('UnknownError'), { name: 'Unknown', $fault: 'client', $metadata: { httpStatusCode: 400 } });
		const error = toNodeApiError(unknown, context());
		expect(error.message).toBe(
			'List functions failed (item 2): the endpoint answered HTTP 400 without an AWS error: it does not speak the Lambda API',
		);
		expect(error.description).toMatch(/^Check the Lambda Endpoint in the credential/);
	});

	it('fills the type and message a function error left out', () => {
		const error = new FunctionError(node, 3, 'my-function', { functionError: 'Unhandled' });
		expect(error.message).toBe('Function my-function failed (item 3): Error: the function reported an error');
	});
});

describe('durable callback errors', () => {
	it('tells how to fix a rejected callback', () => {
		const aws = Object.assign(new Error('bad result'), { name: 'InvalidParameterValueException', $fault: 'client', $metadata: { httpStatusCode: 400, requestId: 'r-2' } });
		const error = toNodeApiError(aws, context({ action: 'Send callback success', durableTarget: 'callback' }));
		expect(error.message).toBe('Send callback success failed (item 2): AWS Lambda rejected the request: bad result');
		expect(error.description).toBe('Check the callback ID and the Result or Error fields.');
	});
});

describe('redact', () => {
	it('removes the \\u form JSON may write a secret\'s characters in', () => {
		const secret = 'abc/def-ghij';
		expect(redact('{"k":"abc\\u002fdef-ghij"}', [secret])).toBe('{"k":"[redacted]"}');
	});

	it('removes the URL-encoded form of a secret with a character outside the basic plane', () => {
		const secret = 'pass\u{1F511}word-long-enough';
		expect(redact(`u=${encodeURIComponent(secret)}; plain=${secret}`, [secret])).toBe('u=[redacted]; plain=[redacted]');
	});
});

describe('what n8n shows of an AWS error', () => {
	const awsError = (name: string, message: string) =>
		Object.assign(new Error(message), { name, $fault: 'server', $metadata: { httpStatusCode: 500, requestId: 'req-7', attempts: 3 } });

	it('keeps a summary with the status, request ID and attempts, and nothing else of the SDK error', () => {
		const error = toNodeApiError(awsError('ServiceException', 'internal'), context());
		expect(error.errorResponse).toEqual({ name: 'ServiceException', message: 'internal', httpStatusCode: 500, requestId: 'req-7', attempts: 3 });
	});

	it('adds what AWS said when the problem does not already quote it', () => {
		const error = toNodeApiError(awsError('ServiceException', 'We hit a snag'), context());
		expect(error.message).toBe('List functions failed (item 2): AWS Lambda had an internal error after 3 attempt(s)');
		expect(error.description).toBe('This is on the AWS side. Retry later or raise Max Attempts.\nAWS said: ServiceException: We hit a snag');
	});

	it('leaves the fix alone when the problem quotes AWS already', () => {
		const error = toNodeApiError(awsError('AccessDeniedException', 'no invoke for you'), context());
		expect(error.message).toBe('List functions failed (item 2): access denied: no invoke for you');
		expect(error.description).toBe("Grant the identity lambda:InvokeFunction and lambda:ListFunctions on the function (see the README's IAM policy).");
	});
});

describe('explanations of the role step', () => {
	const ROLE = 'arn:aws:iam::123456789012:role/r';
	const refused = (name: string, message = 'what STS said') =>
		toNodeApiError(new AssumeRoleError(ROLE, Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 403 } })), context());

	it.each(['AccessDenied', 'AccessDeniedException'])('%s: not allowed to assume the role, with the trust policy to check', (name) => {
		const error = refused(name);
		expect(error.message).toBe(`Assume role failed (item 2): not allowed to assume ${ROLE}`);
		expect(error.description).toMatch(/^Check that the role's trust policy names the IAM user/);
	});

	it('an identity error names the role it was assuming', () => {
		const error = refused('InvalidClientTokenId');
		expect(error.message).toBe(`Assume role failed (item 2): AWS does not recognise the access key ID (while assuming ${ROLE})`);
		expect(error.description).toMatch(/^Check the Access Key ID/);
	});

	it('a cancelled role step says the execution was stopped, without quoting the abort', () => {
		const aborted = Object.assign(new Error('This operation was aborted'), { name: 'AbortError' });
		const error = toNodeApiError(new AssumeRoleError(ROLE, aborted), context());
		expect([error.message, error.description]).toEqual([`Assume role failed (item 2): the request was cancelled (while assuming ${ROLE})`, 'The execution was stopped.']);
	});

	it('any other refusal quotes STS and lists the settings to check', () => {
		const error = refused('ValidationError', 'DurationSeconds exceeds the MaxSessionDuration');
		expect(error.message).toBe(`Assume role failed (item 2): STS refused to issue credentials for ${ROLE}: DurationSeconds exceeds the MaxSessionDuration`);
		expect(error.description).toBe('Check the Role ARN, External ID, Role Session Name and Session Duration in the credential.');
	});
});

describe('explanations of Lambda answers', () => {
	const answer = (name: string, extra: object = {}, message = 'what AWS said') =>
		Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 429, requestId: 'r', attempts: 4 }, ...extra });

	it('names the throttling reason AWS gave, and the attempts', () => {
		const error = toNodeApiError(answer('TooManyRequestsException', { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' }), context());
		expect(error.message).toBe(
			'List functions failed (item 2): AWS Lambda throttled the request (ReservedFunctionConcurrentInvocationLimitExceeded), still throttled after 4 attempt(s)',
		);
		const withoutReason = toNodeApiError(answer('TooManyRequestsException'), context());
		expect(withoutReason.message).toBe('List functions failed (item 2): AWS Lambda throttled the request, still throttled after 4 attempt(s)');
	});

	it('falls back to what AWS said and the API reference for an error it does not know', () => {
		const error = toNodeApiError(answer('BrandNewException'), context());
		expect(error.message).toBe('List functions failed (item 2): BrandNewException: what AWS said');
		expect(error.description).toBe('See the AWS Lambda API reference for this error.');
	});

	it.each([
		['callback', 'no such callback: what AWS said', /^Pass the callback ID exactly as the function handed it out/],
		['execution', 'no such durable execution: what AWS said', /^Check the Execution ARN \(as Invoke returned it\)/],
	] as const)('a missing durable %s is named as such', (target, problem, fix) => {
		const error = toNodeApiError(answer('ResourceNotFoundException'), context({ action: 'Get', durableTarget: target }));
		expect(error.message).toBe(`Get failed (item 2): ${problem}`);
		expect(error.description).toMatch(fix);
	});

	it('a rejected Stop says Stop needs a running execution', () => {
		const error = toNodeApiError(answer('InvalidParameterValueException'), context({ action: 'Stop', durableTarget: 'execution' }));
		expect(error.description).toBe('Check the Execution ARN. Stop applies only to a RUNNING execution: Get shows its Status.');
	});
});

describe('network failures and answers of other servers', () => {
	const network = (code: string, name = 'Error') => Object.assign(new Error(`${code} on the socket`), { name, code });
	const NOT_RETRIED = /^An Invoke is not retried after a dropped connection/;
	const CHECK_PATH = /^Check the Region and, when Custom Endpoints are on, the endpoint URLs/;

	it.each([
		['ECONNREFUSED', 'could not reach the AWS endpoint: the connection was refused', CHECK_PATH],
		['ENOTFOUND', 'could not reach the AWS endpoint: the host name does not resolve', CHECK_PATH],
		['EAI_AGAIN', 'could not reach the AWS endpoint: DNS lookup failed', CHECK_PATH],
		['EHOSTUNREACH', 'could not reach the AWS endpoint: no route to the host', CHECK_PATH],
		['ETIMEDOUT', 'could not reach the AWS endpoint: the connection timed out', CHECK_PATH],
		['ECONNRESET', 'the connection was closed before AWS answered', NOT_RETRIED],
		['EPIPE', 'the connection was closed before AWS answered', NOT_RETRIED],
	])('%s: %s', (code, problem, fix) => {
		const error = toNodeApiError(network(code), context());
		expect(error.message).toBe(`List functions failed (item 2): ${problem}`);
		expect(error.description).toMatch(fix);
		expect(error.description).toContain(`(Network error ${code}.)`);
	});

	it.each([network('ABORT_ERR'), Object.assign(new Error('This operation was aborted'), { name: 'AbortError' })])(
		'a cancelled request says the execution was stopped',
		(cancelled) => {
			const error = toNodeApiError(cancelled, context());
			expect([error.message, error.description]).toEqual(['List functions failed (item 2): the request was cancelled', 'The execution was stopped.']);
		},
	);

	it('has no item number outside an execution', () => {
		expect(toNodeApiError(network('ECONNREFUSED'), context({ itemIndex: undefined })).message).toBe(
			'List functions failed: could not reach the AWS endpoint: the connection was refused',
		);
	});

	const unnamed = (status: number) => Object.assign(new Error('UnknownError'), { name: 'Unknown', $fault: 'client', $metadata: { httpStatusCode: status } });

	it.each([429, 500, 504])('an HTTP %i without an AWS error is a proxy\'s answer', (status) => {
		const error = toNodeApiError(unnamed(status), context());
		expect(error.message).toBe(`List functions failed (item 2): a proxy or gateway between n8n and AWS answered HTTP ${status} without an AWS error`);
	});

	it('an HTTP 404 without an AWS error is an endpoint without this Lambda API', () => {
		const error = toNodeApiError(unnamed(404), context());
		expect(error.message).toBe(
			'List functions failed (item 2): the endpoint answered HTTP 404 without an AWS error: it does not serve this Lambda API (List functions)',
		);
	});
});
