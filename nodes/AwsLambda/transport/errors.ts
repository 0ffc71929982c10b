import type { IDataObject, INode, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { redactedNode } from '../input/errors';
import { AssumeRoleError, HostIdentityError, MalformedStsResponseError, StsTimeoutError } from './credentials';

export interface FailureContext {
	node: INode;
	/** Absent outside an execution (the credential Test button, the function picker). */
	itemIndex?: number;
	/** What was being done, e.g. `Invoke my-function` or `List functions`. */
	action: string;
	region: string;
	timeoutMs?: number;
	/** Secret values to scrub from anything AWS or the network stack put in the error. */
	secrets: string[];
	/** What a durable call names: AWS's errors then speak of that, not of a function. */
	durableTarget?: 'execution' | 'callback';
}

interface Explanation {
	problem: string;
	fix: string;
	/** False when the error's text is not AWS's (the SDK's parser, or this package): then it is not quoted. */
	quotesAws?: boolean;
}

interface SdkErrorShape {
	name?: string;
	message?: string;
	code?: string;
	Reason?: string;
	$metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number };
}

/**
 * Turns an SDK or network error into a NodeApiError a workflow builder can act on: what failed, for
 * which item, and what to change. Only a fresh, redacted summary reaches n8n, never the SDK's
 * error object (which carries the signed request and its headers).
 */
export function toNodeApiError(error: unknown, context: FailureContext): NodeApiError {
	const isRoleStep = error instanceof AssumeRoleError;
	const cause = (isRoleStep ? error.cause : error) as SdkErrorShape;
	const said = whatAwsSaid(cause, context.secrets);
	const explanation = isRoleStep
		? explainAssumeRole(cause, said, error.roleArn)
		: explainLambda(cause, said, context);
	const summary: JsonObject = {
		name: said.name,
		message: said.message,
		...(said.status ? { httpStatusCode: said.status } : {}),
		...(said.requestId ? { requestId: said.requestId } : {}),
		...(said.attempts ? { attempts: said.attempts } : {}),
	};
	const step = isRoleStep ? 'Assume role' : context.action;
	return new NodeApiError(redactedNode(context.node), summary, {
		message: redact(`${step} failed${itemLabel(context.itemIndex)}: ${explanation.problem}`, context.secrets),
		description: redact(
			`${explanation.fix}${explanation.quotesAws !== false && said.message && !explanation.problem.includes(said.message) ? `\nAWS said: ${said.name}: ${said.message}` : ''}`,
			context.secrets,
		),
		httpCode: said.status ? String(said.status) : undefined,
		itemIndex: context.itemIndex,
	});
}

/** The texts of an SDK error, redacted: each may echo what was sent (AWS quotes the signed request). */
interface AwsSaid {
	name: string;
	message: string;
	reason?: string;
	requestId?: string;
	status?: number;
	attempts?: number;
}

function whatAwsSaid(cause: SdkErrorShape, secrets: readonly string[]): AwsSaid {
	const text = (value: unknown) => (value === undefined || value === null ? undefined : redact(String(value), secrets));
	return {
		name: text(cause?.name) ?? 'Error',
		message: text(cause?.message ?? cause) ?? '',
		reason: text(cause?.Reason),
		requestId: text(cause?.$metadata?.requestId),
		status: cause?.$metadata?.httpStatusCode,
		attempts: cause?.$metadata?.attempts,
	};
}

/**
 * The SDK got an answer it could not parse (a proxy's page, a truncated XML body): it attaches the raw
 * `$response` to the parser's error. AWS's own error answers carry it too, but also their `$fault`.
 */
function isUnreadableAnswer(cause: SdkErrorShape): boolean {
	return typeof cause === 'object' && cause !== null && '$response' in cause && !('$fault' in cause);
}

/** The names the SDK gives an STS answer without an error type (its query protocol says NotFound for a 404). */
const UNNAMED_STS_ANSWER = new Set(['Unknown', 'NotFound']);

function explainAssumeRole(cause: SdkErrorShape, { name, message, status }: AwsSaid, roleArn: string): Explanation {
	if (cause instanceof HostIdentityError) return { problem: `${cause.message} (needed to assume ${roleArn})`, fix: cause.fix };
	if (cause instanceof StsTimeoutError) {
		return {
			problem: `${cause.message} (while assuming ${roleArn})`,
			fix: 'Check the STS Endpoint in the credential and the network path from n8n to it. The next execution asks STS again.',
		};
	}
	if (status !== undefined && status >= 400 && (UNNAMED_STS_ANSWER.has(name) || isUnreadableAnswer(cause))) {
		const who = status === 429 || status >= 500 ? 'a proxy or gateway between n8n and STS' : 'the STS endpoint';
		return {
			problem: `${who} answered HTTP ${status} without an AWS error (while assuming ${roleArn})`,
			fix: 'Check the STS Endpoint in the credential (Custom Endpoints) and the proxy or network path to AWS (HTTPS_PROXY, a VPC endpoint). The next execution asks STS again.',
			quotesAws: false,
		};
	}
	if (cause instanceof MalformedStsResponseError || isUnreadableAnswer(cause)) {
		return {
			problem: `STS returned a response without usable temporary credentials for ${roleArn}`,
			fix: 'Check the STS Endpoint in the credential: it must point at AWS STS (or a compatible service).',
			quotesAws: false,
		};
	}
	if (name === 'AccessDenied' || name === 'AccessDeniedException') {
		return {
			problem: `not allowed to assume ${roleArn}`,
			fix: 'Check that the role\'s trust policy names the IAM user (or role) of this credential\'s access key, and that the External ID in the credential matches the trust policy\'s sts:ExternalId condition exactly (or is empty when the policy has none).',
		};
	}
	const common = explainCommon(name, message) ?? explainNetwork(cause, name);
	if (common) return { ...common, problem: `${common.problem} (while assuming ${roleArn})` };
	return {
		problem: `STS refused to issue credentials for ${roleArn}: ${message}`,
		fix: 'Check the Role ARN, External ID, Role Session Name and Session Duration in the credential.',
	};
}

function explainLambda(cause: SdkErrorShape, said: AwsSaid, context: FailureContext): Explanation {
	const { name, message, reason } = said;
	const attempts = cause?.$metadata?.attempts ?? 1;
	const durable = context.durableTarget && explainDurable(name, message, context.durableTarget);
	if (durable) return durable;
	switch (name) {
		case 'ResourceNotFoundException':
			return {
				problem: `function not found in ${context.region}: ${message}`,
				fix: 'Check the function name, its alias or version, and the AWS Region. A full ARN selects its own Region.',
			};
		case 'TooManyRequestsException':
			return {
				problem: `AWS Lambda throttled the request${reason ? ` (${reason})` : ''}, still throttled after ${attempts} attempt(s)`,
				fix: 'Lower the Concurrency option, raise Max Attempts, or raise the function\'s reserved concurrency / the account\'s concurrency quota.',
			};
		case 'RequestTooLargeException':
		case 'SerializedRequestEntityTooLargeException':
			return {
				problem: 'the request is larger than AWS Lambda accepts',
				fix: 'Payloads are limited to 6 MB for synchronous and 1 MB for asynchronous (Event) invocations.',
			};
		case 'InvalidRequestContentException':
			return {
				problem: `AWS Lambda rejected the request body: ${message}`,
				fix: 'The payload and client context must be valid JSON.',
			};
		case 'InvalidParameterValueException':
			return explainTenancy(message) ?? {
				problem: `AWS Lambda rejected a parameter: ${message}`,
				fix: 'Check the function name, qualifier, Marker and Max Items. A Marker is only valid with the settings of the call that returned it. A Durable Execution Name, and listing durable executions, need a durable function (one with a durable configuration), invoked with a version, alias or $LATEST.',
			};
		case 'ResourceConflictException':
		case 'ResourceNotReadyException':
			return {
				problem: `the function is not ready to run: ${message}`,
				fix: 'Wait until the function is Active (it may still be creating or updating, or be Inactive after a long idle period), then run the workflow again.',
			};
		case 'ServiceException':
			return {
				problem: `AWS Lambda had an internal error after ${attempts} attempt(s)`,
				fix: 'This is on the AWS side. Retry later or raise Max Attempts.',
			};
		case 'UnsupportedMediaTypeException':
			return {
				problem: `AWS Lambda refused the request's content type: ${message}`,
				fix: 'The request body must be JSON. When Custom Endpoints are on, check that nothing at the Lambda Endpoint (a proxy) rewrites requests.',
			};
		case 'ModeNotSupportedException':
			return {
				problem: `the function does not support this way of invoking it: ${message}`,
				fix: 'Pick the Invoke Type the function is configured for (Event for an asynchronous-only function, Request Response otherwise), and turn Stream Response off for a function that cannot stream.',
			};
		case 'NoPublishedVersionException':
			return {
				problem: `the function has no published version: ${message}`,
				fix: 'Publish a version of the function (Lambda console, or PublishVersion), or invoke $LATEST or an alias instead of $LATEST.PUBLISHED.',
			};
		case 'ServiceQuotaExceededException':
			return {
				problem: `a Lambda service quota would be exceeded: ${message}`,
				fix: 'Lower the Concurrency option or run fewer items at once, or request a quota increase in Service Quotas (Lambda quotas).',
			};
		case 'DurableExecutionAlreadyStartedException':
			return {
				problem: `a durable execution with this name already started with a different payload: ${message}`,
				fix: 'Give each durable execution its own name, or send the same payload to get the existing execution back.',
			};
		case 'RecursiveInvocationException':
			return {
				problem: `AWS Lambda stopped the call because the function runs in a recursive loop: ${message}`,
				fix: 'Break the loop (the function, or what it triggers, invokes itself), or set the function\'s recursive loop detection to Allow if the loop is intended.',
			};
	}
	if (/^(KMS|EC2|ENI|Subnet|InvalidSubnet|InvalidSecurityGroup|InvalidZip|InvalidRuntime|EFS|S3Files|SnapStart|CodeArtifactUser)/.test(name)) {
		return {
			problem: `AWS Lambda could not run the function (${name}): ${message}`,
			fix: 'The function\'s configuration (KMS key, VPC networking, EFS or S3 Files mount, runtime, SnapStart or code package) needs attention in the Lambda console. Errors that say Pending or NotReady pass: retry in a few minutes.',
		};
	}
	const notLambda = explainNotLambda(name, said, context);
	if (notLambda) return notLambda;
	const network = isRequestTimeout(cause, name) ? undefined : explainNetwork(cause, name);
	if (network) return network;
	// Only calls with a fixed per-attempt limit get here (reads, Stop, callbacks); Invoke has its own Timeout.
	if (name === 'TimeoutError' || name === 'RequestTimeout') {
		const seconds = context.timeoutMs ? Math.round(context.timeoutMs / 1000) : undefined;
		return {
			problem: `no answer from AWS Lambda ${seconds ? `within ${seconds} seconds` : 'in time'}`,
			fix: 'AWS answers this call in well under a second: check the network path from n8n to AWS, and the Lambda Endpoint when Custom Endpoints are on. A Stop or callback that timed out may have been applied: check with Get before repeating it.',
		};
	}
	return (
		explainCommon(name, message) ?? {
			problem: `${name}: ${message}`,
			fix: 'See the AWS Lambda API reference for this error.',
		}
	);
}

/**
 * AWS answers both tenancy mistakes with InvalidParameterValueException; its message says which.
 */
function explainTenancy(message: string): Explanation | undefined {
	if (!/tenant/i.test(message)) return undefined;
	if (/(not|n't) (have )?tenant isolation|remove the tenant/i.test(message)) {
		return {
			problem: `the function does not have tenant isolation, but a Tenant ID was sent: ${message}`,
			fix: 'Remove the Tenant ID option for this function (or make its expression give nothing for this item).',
		};
	}
	return {
		problem: `the function has tenant isolation and needs a Tenant ID for every call: ${message}`,
		fix: 'Set the option Tenant ID to the tenant this item belongs to, e.g. {{ $json.customerId }}.',
	};
}

/** AWS's errors for durable executions and their callbacks, in the words of what the user sent. */
function explainDurable(name: string, message: string, target: 'execution' | 'callback'): Explanation | undefined {
	switch (name) {
		case 'CallbackTimeoutException':
			return {
				problem: `the callback is closed: it was already answered, or it timed out (${message})`,
				fix: 'A callback takes one answer. Check with Get whether the execution still waits (Status RUNNING); a heartbeat must arrive within the callback\'s heartbeat timeout. Do not retry this item.',
			};
		case 'ResourceNotFoundException':
			return target === 'callback'
				? { problem: `no such callback: ${message}`, fix: 'Pass the callback ID exactly as the function handed it out, in the Region where the function runs.' }
				: { problem: `no such durable execution: ${message}`, fix: 'Check the Execution ARN (as Invoke returned it). Executions are kept for their retention period only.' };
		case 'InvalidParameterValueException':
			return {
				problem: `AWS Lambda rejected the request: ${message}`,
				fix: target === 'callback'
					? 'Check the callback ID and the Result or Error fields.'
					: 'Check the Execution ARN. Stop applies only to a RUNNING execution: Get shows its Status.',
			};
	}
	return undefined;
}

/**
 * An HTTP error answer without an AWS error type: the SDK names it `Unknown` (empty body) or fails
 * to parse it (an HTML page). Seen when a custom endpoint is some other server, or an emulator that
 * lacks this API.
 */
function explainNotLambda(name: string, said: AwsSaid, context: FailureContext): Explanation | undefined {
	const status = said.status ?? 0;
	if (status < 400 || (name !== 'Unknown' && name !== 'SyntaxError')) return undefined;
	if (status === 429 || status >= 500) return proxyAnswered(status);
	return {
		problem:
			status === 404
				? `the endpoint answered HTTP 404 without an AWS error: it does not serve this Lambda API (${context.action})`
				: `the endpoint answered HTTP ${status} without an AWS error: it does not speak the Lambda API`,
		fix: 'Check the Lambda Endpoint in the credential (Custom Endpoints): it must be the base URL of AWS Lambda or of an emulator that implements this API, without a path. Turn Custom Endpoints off to use AWS itself.',
	};
}

/** Gateways and proxies answer timeouts and overload themselves, without AWS's error type. */
function proxyAnswered(status: number): Explanation {
	return {
		problem: `a proxy or gateway between n8n and AWS answered HTTP ${status} without an AWS error`,
		fix: 'If this was an Invoke, Stop or callback, AWS may already have run it behind the proxy, so it was not retried (a repeat could run it twice): check its effect before running the item again. Check the proxy or network path to AWS (HTTPS_PROXY, a VPC endpoint), or the Lambda Endpoint if the credential has Custom Endpoints.',
	};
}

/** Failures that read the same for Lambda and STS: identity and permissions. */
function explainCommon(name: string, message: string): Explanation | undefined {
	switch (name) {
		case 'UnrecognizedClientException':
		case 'InvalidClientTokenId':
			return {
				problem: 'AWS does not recognise the access key ID',
				fix: 'Check the Access Key ID (and the Session Token for temporary keys) in the credential or Dynamic Credentials; the key may have been deleted or deactivated.',
			};
		case 'InvalidSignatureException':
		case 'SignatureDoesNotMatch':
			return {
				problem: 'the request signature does not match: the secret access key is wrong',
				fix: 'Re-enter the Secret Access Key that belongs to this Access Key ID.',
			};
		case 'ExpiredTokenException':
		case 'ExpiredToken':
			return {
				problem: 'the session token has expired',
				fix: 'Temporary keys expire: supply fresh ones, or use the Assume Role credential, which renews them itself.',
			};
		case 'AccessDeniedException':
		case 'AccessDenied':
			return {
				problem: `access denied: ${message}`,
				fix: 'Grant the identity lambda:InvokeFunction and lambda:ListFunctions on the function (see the README\'s IAM policy).',
			};
	}
	return undefined;
}

/**
 * Failures below HTTP. The messages avoid Node's error codes on purpose: n8n replaces any error
 * message that contains one (ECONNRESET, ...) with its own generic text.
 */
const NETWORK_PROBLEMS: Record<string, string> = {
	ECONNREFUSED: 'could not reach the AWS endpoint: the connection was refused',
	ENOTFOUND: 'could not reach the AWS endpoint: the host name does not resolve',
	EAI_AGAIN: 'could not reach the AWS endpoint: DNS lookup failed',
	EHOSTUNREACH: 'could not reach the AWS endpoint: no route to the host',
	ETIMEDOUT: 'could not reach the AWS endpoint: the connection timed out',
	ECONNRESET: 'the connection was closed before AWS answered',
	EPIPE: 'the connection was closed before AWS answered',
};

/** The SDK reports its own request timeout as a TimeoutError with code ETIMEDOUT. */
function isRequestTimeout(cause: SdkErrorShape, name: string): boolean {
	return name === 'TimeoutError' && /requestTimeout/.test(cause?.message ?? '');
}

function explainNetwork(cause: SdkErrorShape, name: string): Explanation | undefined {
	if (name === 'AbortError' || cause?.code === 'ABORT_ERR') {
		return { problem: 'the request was cancelled', fix: 'The execution was stopped.', quotesAws: false };
	}
	const code = cause?.code ?? '';
	const problem = NETWORK_PROBLEMS[code];
	if (!problem) return undefined;
	const dropped = code === 'ECONNRESET' || code === 'EPIPE';
	return {
		problem,
		fix: dropped
			? `An Invoke is not retried after a dropped connection, because AWS may already have run the function. Run the item again if the function is safe to repeat. (Network error ${code}.)`
			: `Check the Region and, when Custom Endpoints are on, the endpoint URLs in the credential; check the network path from n8n to AWS. (Network error ${code}.)`,
	};
}

function itemLabel(itemIndex: number | undefined): string {
	return itemIndex === undefined ? '' : ` (item ${itemIndex})`;
}

/** Shorter values would scrub ordinary words; no AWS secret, token or key is this short. */
const MIN_SECRET_CHARS = 4;

/**
 * Removes every secret value from text that reached us from outside (AWS messages, function logs and
 * error bodies, socket errors), in each form text can hold it: as is, JSON-escaped (at any depth,
 * since logs nest JSON in JSON) and percent-encoded (query strings and the canonical request AWS
 * quotes), with either case of hex digits.
 */
export function redact(text: string, secrets: readonly string[]): string {
	const pattern = secretsPattern(secrets);
	return pattern ? text.replace(pattern, '[redacted]') : text;
}

function secretsPattern(secrets: readonly string[]): RegExp | undefined {
	const alternatives = secrets
		.filter((secret) => typeof secret === 'string' && secret.length >= MIN_SECRET_CHARS)
		// Longest first, so a secret that contains another is removed whole.
		.sort((a, b) => b.length - a.length)
		.map((secret) => Array.from(secret, anyEncodingOf).join(''));
	return alternatives.length > 0 ? new RegExp(alternatives.join('|'), 'g') : undefined;
}

function anyEncodingOf(char: string): string {
	if (/^[A-Za-z0-9]$/.test(char)) return char;
	const literal = `\\\\*${char.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')}`;
	const percentEncoded = Array.from(Buffer.from(char, 'utf8'), (byte) => `%(?:25)*${anyCaseHex(byte, 2)}`).join('');
	const codePoint = char.codePointAt(0) ?? 0;
	const unicodeEscape = codePoint <= 0xffff ? `|\\\\+u${anyCaseHex(codePoint, 4)}` : '';
	return `(?:${literal}|${percentEncoded}${unicodeEscape})`;
}

function anyCaseHex(value: number, digits: number): string {
	return value
		.toString(16)
		.padStart(digits, '0')
		.replace(/[a-f]/g, (digit) => `[${digit}${digit.toUpperCase()}]`);
}

/**
 * The function itself failed (`X-Amz-Function-Error`): AWS answered 200, but the handler threw or
 * reported an error. `details` is what a Continue On Fail item carries.
 */
export class FunctionError extends NodeApiError {
	constructor(
		node: INode,
		itemIndex: number,
		functionLabel: string,
		readonly details: IDataObject,
		reportedIn = `X-Amz-Function-Error: ${String(details.functionError)}`,
	) {
		const errorType = typeof details.errorType === 'string' ? details.errorType : 'Error';
		const errorMessage =
			typeof details.errorMessage === 'string' ? details.errorMessage : 'the function reported an error';
		const stack = Array.isArray(details.stackTrace) ? details.stackTrace.join('\n') : undefined;
		super(redactedNode(node), { ...details } as JsonObject, {
			message: `Function ${functionLabel} failed (item ${itemIndex}): ${errorType}: ${errorMessage}`,
			description: [
				`The function ran and reported an error (${reportedIn}).`,
				stack ? `Stack trace:\n${stack}` : undefined,
			]
				.filter(Boolean)
				.join('\n'),
			httpCode: '200',
			itemIndex,
		});
	}
}
