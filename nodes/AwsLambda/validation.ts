import type { INode } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

/** AWS Lambda service limits (Invoke API reference, "Lambda quotas"). */
export const LIMITS = {
	syncPayloadBytes: 6 * 1024 * 1024,
	asyncPayloadBytes: 1024 * 1024,
	clientContextBase64Bytes: 3583,
	functionNameChars: 64,
	qualifierChars: 128,
	functionReferenceChars: 256,
	listPageSize: 50,
} as const;

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
const NAME = '[a-zA-Z0-9_-]+';
const QUALIFIER = '\\$LATEST|[a-zA-Z0-9_-]+';
const PLAIN_NAME = new RegExp(`^(${NAME})(?::(${QUALIFIER}))?$`);
const PARTIAL_ARN = new RegExp(`^(\\d{12}):function:(${NAME})(?::(${QUALIFIER}))?$`);
const FULL_ARN = new RegExp(
	`^arn:(aws[a-zA-Z-]*):lambda:([a-z0-9-]+):(\\d{12}):function:(${NAME})(?::(${QUALIFIER}))?$`,
);

const SECRET_PARAMETERS = ['secretAccessKey', 'sessionToken'];

/**
 * The node as errors carry it. n8n stores an error's node in the execution data and logs it, and the
 * node's parameters hold Dynamic Credentials as typed: their secret fields are masked here.
 */
export function redactedNode(node: INode): INode {
	const dynamic = node.parameters?.dynamicCredentials;
	if (!dynamic || typeof dynamic !== 'object' || Array.isArray(dynamic)) return node;
	const masked = Object.fromEntries(
		Object.entries(dynamic).map(([field, value]) => [field, SECRET_PARAMETERS.includes(field) && value ? '[redacted]' : value]),
	);
	return { ...node, parameters: { ...node.parameters, dynamicCredentials: masked } };
}

/**
 * A clear, item-scoped error about one input field. Thrown before any request is sent, so a
 * workflow with a bad item fails fast instead of half-running.
 */
export function inputError(
	node: INode,
	itemIndex: number,
	field: string,
	problem: string,
	fix: string,
): NodeOperationError {
	return new NodeOperationError(redactedNode(node), `${field} (item ${itemIndex}): ${problem}`, {
		itemIndex,
		description: fix,
	});
}

export function assertRegion(node: INode, itemIndex: number, region: unknown): string {
	const value = typeof region === 'string' ? region.trim() : '';
	if (!REGION.test(value)) {
		throw inputError(
			node,
			itemIndex,
			'AWS Region',
			`"${String(region)}" is not an AWS Region`,
			'Use a Region code such as us-east-1, eu-west-1 or ap-southeast-2.',
		);
	}
	return value;
}

export interface FunctionReference {
	/** What goes into the request path: the name, partial ARN or full ARN, without a qualifier. */
	functionName: string;
	qualifier?: string;
	/** Set only for a full ARN: the Region the function lives in, which wins over the node's Region. */
	region?: string;
	display: string;
}

export type FunctionReferenceMode = 'list' | 'name' | 'arn';

/**
 * Accepts exactly the forms the Invoke API documents: `name`, `name:qualifier`,
 * `123456789012:function:name[:qualifier]` and `arn:PARTITION:lambda:REGION:ACCOUNT:function:name[:qualifier]`.
 */
export function parseFunctionReference(
	node: INode,
	itemIndex: number,
	raw: unknown,
	mode: FunctionReferenceMode,
): FunctionReference {
	const value = typeof raw === 'string' ? raw.trim() : '';
	const fail = (problem: string, fix: string) =>
		inputError(node, itemIndex, 'Function Name or ARN', problem, fix);
	if (value === '') {
		throw fail('no function given', 'Pick a function from the list, or enter its name or ARN.');
	}
	if (value.length > LIMITS.functionReferenceChars) {
		throw fail(
			`${value.length} characters is longer than AWS allows (${LIMITS.functionReferenceChars})`,
			'Enter the function name (at most 64 characters) or its ARN.',
		);
	}
	const reference = value.startsWith('arn:')
		? matchFullArn(value)
		: /^\d{12}:/.test(value)
			? matchPartialArn(value)
			: mode === 'arn'
				? undefined
				: matchPlainName(value);
	if (!reference) {
		throw mode === 'arn'
			? fail(
					`"${value}" is not a Lambda function ARN`,
					'Use arn:aws:lambda:REGION:ACCOUNT_ID:function:NAME (optionally :ALIAS or :VERSION), or ACCOUNT_ID:function:NAME.',
				)
			: fail(
					`"${value}" is not a valid function name`,
					'A function name has 1 to 64 letters, digits, hyphens or underscores, optionally followed by :ALIAS or :VERSION (my-function:live). You can also paste the function ARN.',
				);
	}
	const name = reference.functionName.split(':').pop() ?? '';
	if (name.length > LIMITS.functionNameChars) {
		throw fail(
			`the name "${name}" has ${name.length} characters; AWS allows at most ${LIMITS.functionNameChars}`,
			'Check for a pasted value that is not a function name.',
		);
	}
	if (reference.qualifier && reference.qualifier.length > LIMITS.qualifierChars) {
		throw fail(
			`the version or alias has more than ${LIMITS.qualifierChars} characters`,
			'Use a published version number or an alias name.',
		);
	}
	return reference;
}

function matchFullArn(value: string): FunctionReference | undefined {
	const match = FULL_ARN.exec(value);
	if (!match || !REGION.test(match[2])) return undefined;
	const [, partition, region, account, name, qualifier] = match;
	return {
		functionName: `arn:${partition}:lambda:${region}:${account}:function:${name}`,
		qualifier,
		region,
		display: value,
	};
}

function matchPartialArn(value: string): FunctionReference | undefined {
	const match = PARTIAL_ARN.exec(value);
	if (!match) return undefined;
	const [, account, name, qualifier] = match;
	return { functionName: `${account}:function:${name}`, qualifier, display: value };
}

function matchPlainName(value: string): FunctionReference | undefined {
	const match = PLAIN_NAME.exec(value);
	if (!match) return undefined;
	const [, name, qualifier] = match;
	return { functionName: name, qualifier, display: value };
}

/**
 * Parses a JSON input field. Strings are parsed (so the error can say where), objects from
 * expressions are taken as they are.
 */
export function parseJsonField(
	node: INode,
	itemIndex: number,
	field: string,
	value: unknown,
): unknown {
	if (typeof value !== 'string') return value;
	try {
		return JSON.parse(value);
	} catch (error) {
		throw inputError(
			node,
			itemIndex,
			field,
			`not valid JSON: ${(error as Error).message}`,
			'Enter a JSON value such as {"key": "value"}, or switch the field to an expression that returns an object.',
		);
	}
}

/**
 * Serialises the payload once. A JSON string the user typed is sent as typed (after checking
 * that it parses), so a large payload is not parsed into objects and printed again.
 */
export function serializePayload(
	node: INode,
	itemIndex: number,
	value: unknown,
	invocationType: string,
): string {
	let text: string;
	if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
		text = '{}';
	} else if (typeof value === 'string') {
		parseJsonField(node, itemIndex, 'Payload', value);
		text = value;
	} else {
		text = JSON.stringify(value);
	}
	const limit = invocationType === 'Event' ? LIMITS.asyncPayloadBytes : LIMITS.syncPayloadBytes;
	const size = Buffer.byteLength(text, 'utf8');
	if (size > limit) {
		throw inputError(
			node,
			itemIndex,
			'Payload',
			`${bytes(size)} is over the AWS limit of ${bytes(limit)} (${limit / (1024 * 1024)} MB) for ${invocationType} invocations`,
			invocationType === 'Event'
				? 'Asynchronous (Event) payloads are limited to 1 MB. Send a reference (an S3 key, for example) instead of the data.'
				: 'Synchronous payloads are limited to 6 MB. Send a reference (an S3 key, for example) instead of the data.',
		);
	}
	return text;
}

export function encodeClientContext(node: INode, itemIndex: number, value: unknown): string | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	const parsed = parseJsonField(node, itemIndex, 'Client Context', value);
	if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
		throw inputError(
			node,
			itemIndex,
			'Client Context',
			'must be a JSON object',
			'Use an object such as {"custom": {"tenant": "acme"}}; the function receives it as context.clientContext.',
		);
	}
	// The field's default is `{}`: an empty context is the same as none, so no header is sent.
	if (Object.keys(parsed).length === 0) return undefined;
	const encoded = Buffer.from(JSON.stringify(parsed), 'utf8').toString('base64');
	if (encoded.length > LIMITS.clientContextBase64Bytes) {
		throw inputError(
			node,
			itemIndex,
			'Client Context',
			`${bytes(encoded.length)} once base64-encoded; AWS allows ${bytes(LIMITS.clientContextBase64Bytes)}`,
			'Keep the client context small (about 2.6 KB of JSON) and pass larger data in the payload.',
		);
	}
	return encoded;
}

function bytes(count: number): string {
	return `${count.toLocaleString('en-US')} bytes`;
}
