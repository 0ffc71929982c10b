import { Readable } from 'node:stream';
import type { InvokeCommandOutput } from '@aws-sdk/client-lambda';
import type {
	IBinaryData,
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeParameterResourceLocator,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { parseDurableExecutionName } from '../../input/durableExecutionName';
import { inputError } from '../../input/errors';
import type { FunctionReferenceMode } from '../../input/functionReference';
import { parseFunctionReference } from '../../input/functionReference';
import { encodeClientContext, serializePayload } from '../../input/json';
import { boundedInteger } from '../../input/limits';
import { regionForItem } from '../../input/region';
import { accessForItem } from '../../transport/access';
import { ERROR_DOCUMENT_MARGIN_BYTES, SYNC_RESPONSE_LIMIT_BYTES } from '../../transport/bodyCollector';
import { FunctionError, redact } from '../../transport/errors';
import type { OpenStream } from '../../transport/responseStream';
import { invokeStreaming } from '../../transport/responseStream';
import { loadLambdaSdk } from '../../transport/sdk';
import type { AwsCall } from '../../transport/send';
import { sendAws } from '../../transport/send';
import { isToolMode, toolDescription, TOOL_ANSWER_LIMIT_CHARS } from '../toolMode';
import type { Operation, RunContext } from '../types';

/** Longer than Lambda's 15-minute maximum run time, so the default never cuts a running function. */
const DEFAULT_TIMEOUT_SECONDS = 960;
const DEFAULT_CONCURRENCY = 10;
const DEFAULT_MAX_ATTEMPTS = 3;
/** Tenant IDs as the Invoke API model bounds them. */
const MAX_TENANT_ID_CHARS = 256;
/** The Tenant ID travels in an HTTP header (X-Amz-Tenant-Id): printable ASCII only. */
const HEADER_SAFE = /^[\x20-\x7e]+$/;
const QUALIFIER_PATTERN = /^(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9_-]{1,128})$/;

const properties: INodeProperties[] = [
	{
		displayName: 'Function Name or ARN',
		name: 'functionName',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description:
			'This can be a function name (my-function), name with alias (my-function:v1), or function ARN (arn:aws:lambda:us-west-2:123456789012:function:my-function). A full ARN selects its own Region.',
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select a function...',
				typeOptions: { searchListMethod: 'searchFunctions', searchable: true },
			},
			{
				displayName: 'By Name',
				name: 'name',
				type: 'string',
				placeholder: 'e.g. my-function or my-function:live',
				validation: [
					{
						type: 'regex',
						properties: {
							regex: '^[a-zA-Z0-9_-]{1,64}(:(\\$LATEST(\\.PUBLISHED)?|[a-zA-Z0-9_-]{1,128}))?$',
							errorMessage: 'Use a function name, optionally followed by :ALIAS or :VERSION',
						},
					},
				],
			},
			{
				displayName: 'By ARN',
				name: 'arn',
				type: 'string',
				placeholder: 'e.g. arn:aws:lambda:us-east-1:123456789012:function:my-function',
				validation: [
					{
						type: 'regex',
						properties: {
							regex: '^(arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:)?\\d{12}:function:[a-zA-Z0-9_-]{1,64}(:(\\$LATEST(\\.PUBLISHED)?|[a-zA-Z0-9_-]{1,128}))?$',
							errorMessage:
								'Use arn:aws:lambda:REGION:ACCOUNT_ID:function:NAME (optionally :ALIAS or :VERSION)',
						},
					},
				],
			},
		],
	},
	{
		displayName: 'Invoke Type',
		name: 'invocationType',
		type: 'options',
		options: [
			{
				name: 'Request Response',
				value: 'RequestResponse',
				description: 'Invoke the function synchronously and wait for its result',
			},
			{
				name: 'Event',
				value: 'Event',
				description: 'Invoke the function asynchronously: AWS queues the event and answers at once',
			},
			{
				name: 'Dry Run',
				value: 'DryRun',
				description:
					'Validate parameter values and verify that the user or role has permission to invoke the function',
			},
		],
		default: 'RequestResponse',
		description:
			'RequestResponse (default) - Invoke the function synchronously. Event - Invoke the function asynchronously. DryRun - Validate parameter values and verify that the user or role has permission to invoke the function.',
	},
	{
		displayName: 'Payload',
		name: 'payload',
		type: 'json',
		default: '{}',
		description:
			'The payload to send the lambda function. This can be a JSON string or object that can be serialized into JSON. Empty means {}. Ignored when the option Send Input Item as Payload is on.',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Client Context',
				name: 'clientContext',
				type: 'json',
				default: '{}',
				description:
					'JSON object passed to the function as context.clientContext (at most 3,583 bytes once base64-encoded)',
			},
			{
				displayName: 'Concurrency',
				name: 'concurrency',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 100 },
				default: DEFAULT_CONCURRENCY,
				description:
					'How many invocations may be in flight at once. Output order always follows input order. 1 runs the items strictly one after another.',
			},
			{
				displayName: 'Durable Execution Name',
				name: 'durableExecutionName',
				type: 'string',
				default: '',
				placeholder: 'e.g. order-{{ $json.orderId }}',
				description:
					'For a durable function: a name for the execution (1–64 letters, digits, - or _). Starting the same name again with the same payload returns the existing execution instead of running the function twice; another payload is refused. Derive it from a business key. The output then holds durableExecutionArn.',
			},
			{
				displayName: 'Include Execution Log',
				name: 'includeLogs',
				type: 'boolean',
				default: false,
				description:
					'Whether to return the last 4 KB of the execution log (LogType Tail) in the output field "logs". Synchronous invocations only.',
			},
			{
				displayName: 'Max Attempts',
				name: 'maxAttempts',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 10 },
				default: DEFAULT_MAX_ATTEMPTS,
				description:
					'Attempts per invocation, with backoff, when AWS refuses it with throttling (429) or a 5xx error, or when no connection could be made (DNS failure, connection refused or not established in time). A connection that drops after the request was sent, and a timeout, are never retried, because the function may already have run.',
			},
			{
				displayName: 'Put Output in Field',
				name: 'binaryPropertyName',
				type: 'string',
				default: 'data',
				description: 'Binary field that receives a response that is not text',
			},
			{
				displayName: 'Qualifier',
				name: 'qualifier',
				type: 'string',
				default: '',
				placeholder: 'e.g. live or 3',
				description:
					'Version or alias to invoke, when it is not part of the function name: a version, an alias, $LATEST (the default) or $LATEST.PUBLISHED (the newest published version)',
			},
			{
				displayName: 'Response Format',
				name: 'responseFormat',
				type: 'options',
				options: [
					{
						name: 'Auto',
						value: 'auto',
						description: 'JSON is parsed, other text is returned as a string, anything else as a binary file',
					},
					{ name: 'JSON', value: 'json', description: 'The response must be JSON' },
					{ name: 'Text', value: 'text', description: 'Return the response as a string' },
					{ name: 'Binary File', value: 'binary', description: 'Return the response as a binary file' },
				],
				default: 'auto',
				description: 'How to return the function\'s response payload',
			},
			{
				displayName: 'Send Input Item as Payload',
				name: 'sendInputItem',
				type: 'boolean',
				default: false,
				description:
					'Whether to send the incoming item\'s JSON as the payload instead of the Payload field. Ignored when the node is an AI Agent tool: its input item is the agent\'s own.',
			},
			{
				displayName: 'Stream Response',
				name: 'responseStreaming',
				type: 'boolean',
				default: false,
				description:
					'Whether to call InvokeWithResponseStream: responses of up to 200 MB instead of 6 MB, received while the function runs. With Response Format Binary File the response is written to n8n\'s binary data as it arrives. Request Response and Dry Run only.',
			},
			{
				displayName: 'Tenant ID',
				name: 'tenantId',
				type: 'string',
				default: '',
				placeholder: 'e.g. {{ $json.customerId }}',
				description:
					'For a function with tenant isolation: the tenant whose execution environment runs this item (1–256 characters). Leave empty for other functions.',
			},
			{
				displayName: 'Timeout (Seconds)',
				name: 'timeout',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 3600 },
				default: DEFAULT_TIMEOUT_SECONDS,
				description:
					'How long the whole invocation may take: the function\'s run time, every attempt, the waits between them and the download of the response. The default outlasts Lambda\'s 15-minute maximum.',
			},
		],
	},
];

export const description = updateDisplayOptions({ show: { resource: ['function'], operation: ['invoke'] } }, [
	...properties,
	toolDescription(
		'function',
		'invoke',
		`Invokes an AWS Lambda function and returns its answer. The payload is the JSON event object the function receives. The answer is [{"payload": <the function's JSON response, or its text>, "statusCode", "executedVersion", "requestId"}]. On failure the answer is [{"error": "<what failed>", "description": "<how to fix it>"}]; when the function itself failed it also holds "errorType" and "errorMessage" from the function. Read them, correct the arguments and call again. An answer longer than ${TOOL_ANSWER_LIMIT_CHARS} characters is replaced by [{"truncated": true, "originalChars", "preview": "<its first characters>"}]. A binary response is described by file name, MIME type and size.`,
	),
]);

type ResponseFormat = 'auto' | 'json' | 'text' | 'binary';

type InvocationType = 'RequestResponse' | 'Event' | 'DryRun';

/** Event and Dry Run answers have no body: an error document is all that may come back. */
const RESPONSE_LIMIT_BYTES: Record<InvocationType, number> = {
	RequestResponse: SYNC_RESPONSE_LIMIT_BYTES,
	Event: ERROR_DOCUMENT_MARGIN_BYTES,
	DryRun: ERROR_DOCUMENT_MARGIN_BYTES,
};

/**
 * One item, checked and ready to send. It holds no payload text: every item is prepared before the
 * first is sent, and holding each item's text until its turn would cost the whole input's size.
 */
export interface PreparedInvoke {
	itemIndex: number;
	functionLabel: string;
	call: AwsCall;
	input: {
		FunctionName: string;
		Qualifier?: string;
		InvocationType: InvocationType;
		LogType?: 'Tail';
		ClientContext?: string;
		TenantId?: string;
		DurableExecutionName?: string;
	};
	/** InvokeWithResponseStream instead of Invoke. */
	streaming: boolean;
	sendInputItem: boolean;
	responseFormat: ResponseFormat;
	binaryPropertyName: string;
}

async function prepare(execute: IExecuteFunctions, itemIndex: number): Promise<PreparedInvoke> {
	const node = execute.getNode();
	const options = execute.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const locator = execute.getNodeParameter('functionName', itemIndex) as INodeParameterResourceLocator;
	const reference = parseFunctionReference(
		node,
		itemIndex,
		locator?.value,
		(locator?.mode ?? 'name') as FunctionReferenceMode,
	);
	const region = reference.region ?? regionForItem(execute, itemIndex);
	const qualifier = pickQualifier(execute, itemIndex, reference.qualifier, options.qualifier);
	const invocationType = execute.getNodeParameter('invocationType', itemIndex) as InvocationType;
	const streaming = options.responseStreaming === true;
	if (streaming && invocationType === 'Event') {
		throw inputError(
			node,
			itemIndex,
			'Stream Response',
			'cannot be used with the Invoke Type Event',
			'AWS streams responses of synchronous calls only: use Request Response or Dry Run with Stream Response, or turn Stream Response off.',
		);
	}
	// An agent's tool gets the agent's own item as input: it is no payload for the function.
	const sendInputItem = options.sendInputItem === true && !isToolMode(execute);
	// Checked here so that no request leaves before every item is valid; `run` builds the text again.
	payloadText(execute, itemIndex, sendInputItem, invocationType);
	const access = await accessForItem(execute, itemIndex, region);
	const timeoutMs =
		boundedInteger(node, itemIndex, 'Timeout', options.timeout ?? DEFAULT_TIMEOUT_SECONDS, 1, 3600) * 1000;
	return {
		itemIndex,
		functionLabel: reference.display,
		call: {
			access,
			region,
			kind: invocationType === 'DryRun' ? 'read' : 'invoke',
			deadlineMs: timeoutMs,
			settings: {
				maxResponseBytes: RESPONSE_LIMIT_BYTES[invocationType],
				maxAttempts: boundedInteger(
					node,
					itemIndex,
					'Max Attempts',
					options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
					1,
					10,
				),
			},
			failure: { node, itemIndex, action: `Invoke ${reference.display}` },
		},
		input: {
			FunctionName: reference.functionName,
			Qualifier: qualifier,
			InvocationType: invocationType,
			LogType: options.includeLogs && invocationType === 'RequestResponse' ? 'Tail' : undefined,
			ClientContext: encodeClientContext(node, itemIndex, options.clientContext),
			TenantId: tenantIdFor(execute, itemIndex, options.tenantId),
			DurableExecutionName: parseDurableExecutionName(node, itemIndex, options.durableExecutionName),
		},
		streaming,
		sendInputItem,
		responseFormat: (options.responseFormat as ResponseFormat | undefined) ?? 'auto',
		binaryPropertyName: (options.binaryPropertyName as string | undefined) || 'data',
	};
}

/** The same parameter read both times, so `prepare` checks exactly the text that `run` sends. */
function payloadText(
	execute: IExecuteFunctions,
	itemIndex: number,
	sendInputItem: boolean,
	invocationType: InvocationType,
): string {
	const payload = sendInputItem
		? execute.getInputData()[itemIndex].json
		: execute.getNodeParameter('payload', itemIndex, '');
	return serializePayload(execute.getNode(), itemIndex, payload, invocationType);
}

function tenantIdFor(execute: IExecuteFunctions, itemIndex: number, value: unknown): string | undefined {
	const tenantId = typeof value === 'string' || typeof value === 'number' ? String(value).trim() : '';
	const refuse = (problem: string, fix: string) => inputError(execute.getNode(), itemIndex, 'Tenant ID', problem, fix);
	if (tenantId === '') return undefined;
	if (tenantId.length > MAX_TENANT_ID_CHARS) {
		throw refuse(
			`has ${tenantId.length} characters`,
			`AWS accepts a Tenant ID of 1–${MAX_TENANT_ID_CHARS} characters: check the expression that gives it.`,
		);
	}
	if (!HEADER_SAFE.test(tenantId)) {
		throw refuse(
			'contains a character an HTTP header cannot carry (a line break, control character or non-ASCII letter)',
			'Use letters, digits and punctuation of plain ASCII, e.g. an ID rather than a display name.',
		);
	}
	return tenantId;
}

function pickQualifier(
	execute: IExecuteFunctions,
	itemIndex: number,
	fromName: string | undefined,
	fromOption: unknown,
): string | undefined {
	const option = typeof fromOption === 'string' && fromOption.trim() !== '' ? fromOption.trim() : undefined;
	if (option && !QUALIFIER_PATTERN.test(option)) {
		throw inputError(
			execute.getNode(),
			itemIndex,
			'Qualifier',
			`"${option}" is not a version or alias`,
			'Use a version number (3), an alias name (live), $LATEST or $LATEST.PUBLISHED.',
		);
	}
	if (option && fromName && option !== fromName) {
		throw inputError(
			execute.getNode(),
			itemIndex,
			'Qualifier',
			`"${option}" contradicts the qualifier "${fromName}" in the function name`,
			'Give the version or alias once: in the name (my-function:live) or in the Qualifier option.',
		);
	}
	return fromName ?? option;
}

async function run(prepared: PreparedInvoke, context: RunContext): Promise<INodeExecutionData[]> {
	const { InvokeCommand } = await loadLambdaSdk();
	const input = {
		...prepared.input,
		Payload: payloadText(context.execute, prepared.itemIndex, prepared.sendInputItem, prepared.input.InvocationType),
	};
	if (prepared.streaming) return [await runStreaming(prepared, context, input)];
	const response = await sendAws(context, prepared.call, async (client, signal) =>
		await client.send(new InvokeCommand(input), { abortSignal: signal }),
	);
	const logs = decodedLogs(prepared, response.LogResult);
	const body = bodyBytes(response);
	const summary: IDataObject = {
		statusCode: response.StatusCode,
		executedVersion: response.ExecutedVersion,
		requestId: response.$metadata.requestId,
		...(response.DurableExecutionArn ? { durableExecutionArn: response.DurableExecutionArn } : {}),
	};
	if (response.FunctionError) {
		throw functionError(context, prepared, response.FunctionError, body, { ...summary, logs });
	}
	return [await buildOutput(context.execute, prepared, body, withLogs(summary, logs))];
}

type StreamedBody = Buffer | IBinaryData;

/**
 * Stream Response. Binary File pipes the chunks into n8n's binary data as they arrive (in filesystem
 * or S3 mode the response is never whole in memory); the other formats collect and decode them.
 */
async function runStreaming(
	prepared: PreparedInvoke,
	context: RunContext,
	input: PreparedInvoke['input'] & { Payload: string },
): Promise<INodeExecutionData> {
	const streamInput = { ...input, InvocationType: input.InvocationType as 'RequestResponse' | 'DryRun' };
	const streamed = await sendAws(context, prepared.call, async (client, signal) =>
		await invokeStreaming(client, streamInput, signal, async (stream) => await receive(context.execute, prepared, stream)),
	);
	const logs = decodedLogs(prepared, streamed.complete.LogResult);
	const summary: IDataObject = {
		statusCode: streamed.statusCode,
		executedVersion: streamed.executedVersion,
		requestId: streamed.requestId,
		responseStreamContentType: streamed.contentType,
	};
	const { ErrorCode, ErrorDetails } = streamed.complete;
	if (ErrorCode) {
		// The function chooses its error code, and may put in it what it received.
		const code = redact(ErrorCode, prepared.call.access.secrets);
		// Whatever reached binary data stays out of the output: the item becomes the function's error.
		throw functionError(context, prepared, code, Buffer.from(ErrorDetails ?? ''), { ...summary, logs }, `in the stream's final event (InvokeComplete, ErrorCode ${code})`);
	}
	if (!Buffer.isBuffer(streamed.result)) {
		return { json: { ...withLogs(summary, logs), payload: null }, binary: { [prepared.binaryPropertyName]: streamed.result } };
	}
	return await buildOutput(context.execute, prepared, streamed.result, withLogs(summary, logs), streamed.contentType);
}

async function receive(execute: IExecuteFunctions, prepared: PreparedInvoke, stream: OpenStream): Promise<StreamedBody> {
	if (prepared.responseFormat === 'binary' && prepared.input.InvocationType !== 'DryRun') {
		return await execute.helpers.prepareBinaryData(asByteStream(stream.chunks), responseFileName(prepared), stream.contentType);
	}
	const chunks: Buffer[] = [];
	for await (const chunk of stream.chunks) chunks.push(chunk);
	return Buffer.concat(chunks);
}

/**
 * n8n writes a stream into filesystem binary data with one awaited write per chunk it reads. A byte
 * stream (not an object stream) hands it, in one read, everything that arrived during the previous
 * write: a few large writes instead of one per 64 KB event, so the disk keeps pace with the decoder.
 * 512 KB is the most Node's `writeFile` writes in one call (a read can exceed it by one chunk, which
 * then takes a second write). Measured by the Stream Response throughput figure of `npm run bench`
 * (1 MB and 256 KB batches were slower).
 */
const STREAM_WRITE_BATCH_BYTES = 512 * 1024;

function asByteStream(chunks: AsyncIterable<Buffer>): Readable {
	return Readable.from(chunks, { objectMode: false, highWaterMark: STREAM_WRITE_BATCH_BYTES });
}

/** A function may print what it received, secrets included. */
function decodedLogs(prepared: PreparedInvoke, logResult: string | undefined): string | undefined {
	return logResult ? redact(Buffer.from(logResult, 'base64').toString('utf8'), prepared.call.access.secrets) : undefined;
}

function withLogs(summary: IDataObject, logs: string | undefined): IDataObject {
	return logs === undefined ? summary : { ...summary, logs };
}

function responseFileName(prepared: PreparedInvoke): string {
	return `${prepared.input.FunctionName.split(':').pop()}-response`;
}

function bodyBytes(response: InvokeCommandOutput): Buffer {
	const payload = response.Payload;
	return payload ? Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength) : Buffer.alloc(0);
}

async function buildOutput(
	execute: IExecuteFunctions,
	prepared: PreparedInvoke,
	body: Buffer,
	summary: IDataObject,
	contentType?: string,
): Promise<INodeExecutionData> {
	if (body.length === 0) return { json: { ...summary, payload: null } };
	const format = prepared.responseFormat;
	const text = format === 'binary' || (format === 'auto' && namesBinary(contentType)) ? undefined : decodeUtf8(body);
	if (text === undefined || format === 'binary') {
		if (format === 'json' || format === 'text') throw unexpectedBody(execute, prepared, 'is not UTF-8 text');
		const binary = await execute.helpers.prepareBinaryData(body, responseFileName(prepared), contentType);
		return { json: { ...summary, payload: null }, binary: { [prepared.binaryPropertyName]: binary } };
	}
	if (format === 'text') return { json: { ...summary, payload: text } };
	const parsed = parseJson(text);
	if (parsed === undefined && format === 'json') throw unexpectedBody(execute, prepared, 'is not valid JSON');
	return { json: { ...summary, payload: parsed === undefined ? text : (parsed.value as IDataObject) } };
}

/** Text-like types, and Lambda's default for streams (application/octet-stream), leave the decision to the bytes. */
const UNDECIDED_OR_TEXT = /^text\/|[/+](json|xml)\b|^application\/(octet-stream|javascript|x-ndjson|x-www-form-urlencoded)\b/i;

function namesBinary(contentType: string | undefined): boolean {
	return contentType !== undefined && !UNDECIDED_OR_TEXT.test(contentType);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(body: Buffer): string | undefined {
	try {
		return strictUtf8.decode(body);
	} catch {
		return undefined;
	}
}

function parseJson(text: string): { value: unknown } | undefined {
	try {
		return { value: JSON.parse(text) };
	} catch {
		return undefined;
	}
}

function unexpectedBody(execute: IExecuteFunctions, prepared: PreparedInvoke, problem: string) {
	return inputError(
		execute.getNode(),
		prepared.itemIndex,
		`Invoke ${prepared.functionLabel}`,
		`the response ${problem}`,
		'Set the option Response Format to Auto or Binary File to accept any response.',
	);
}

function functionError(
	context: RunContext,
	prepared: PreparedInvoke,
	kind: string,
	body: Buffer,
	summary: IDataObject,
	reportedIn?: string,
): FunctionError {
	const secrets = prepared.call.access.secrets;
	const text = redact(body.toString('utf8'), secrets);
	const parsed = parseJson(text)?.value;
	const reported =
		parsed && typeof parsed === 'object' && !Array.isArray(parsed)
			? (parsed as IDataObject)
			: { errorMessage: text };
	return new FunctionError(
		context.execute.getNode(),
		prepared.itemIndex,
		prepared.functionLabel,
		{
			...summary,
			functionError: kind,
			errorType: reported.errorType,
			errorMessage: reported.errorMessage,
			stackTrace: reported.stackTrace,
		},
		reportedIn,
	);
}

function concurrency(execute: IExecuteFunctions): number {
	const options = execute.getNodeParameter('options', 0, {}) as IDataObject;
	return boundedInteger(
		execute.getNode(),
		0,
		'Concurrency',
		options.concurrency ?? DEFAULT_CONCURRENCY,
		1,
		100,
	);
}

export const operation: Operation<PreparedInvoke> = {
	description,
	prepare,
	run,
	concurrency,
	defaultConcurrency: DEFAULT_CONCURRENCY,
};
