import type { ErrorObject } from '@aws-sdk/client-lambda';
import type { IDataObject, IExecuteFunctions, INode, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { inputError } from '../../input/errors';
import { boundedInteger } from '../../input/limits';
import { isRegionCode } from '../../input/region';
import { accessForItem } from '../../transport/access';
import type { AwsCall } from '../../transport/send';
import { isToolMode, toolDescription } from '../toolMode';
import type { Operation, RunContext } from '../types';

/** AWS's pattern for a durable execution ARN (API reference, DurableExecutionArn), at most 1,024 characters. */
const EXECUTION_ARN =
	/^arn:([a-zA-Z0-9-]+):lambda:([a-zA-Z0-9-]+):(\d{12}):function:([a-zA-Z0-9_-]+):(\$LATEST(?:\.PUBLISHED)?|[0-9]+)\/durable-execution\/([a-zA-Z0-9_-]+)\/([a-zA-Z0-9_-]+)$/;
const MAX_ARN_CHARS = 1024;
/** A callback ID is base64 text of at most 1,024 characters (API reference, CallbackId). */
const CALLBACK_ID = /^[A-Za-z0-9+/]+={0,2}$/;
const MAX_CALLBACK_ID_CHARS = 1024;

/** Reads are idempotent: the SDK's standard retry applies, as for List Functions. */
export const READ_SETTINGS = { timeoutMs: 60_000, maxAttempts: 5 };
/**
 * Stop and the callbacks change state at AWS. They use the Invoke retry rule: repeated only when AWS
 * refused the call or it never left, never after it may have arrived.
 */
const CHANGE_SETTINGS = { timeoutMs: 60_000, maxAttempts: 3 };
const DEFAULT_CONCURRENCY = 10;

export const executionArnProperty: INodeProperties = {
	displayName: 'Execution ARN',
	name: 'executionArn',
	type: 'string',
	default: '',
	required: true,
	placeholder: 'e.g. arn:aws:lambda:us-east-1:123456789012:function:my-function:$LATEST/durable-execution/order-42/1a2b3c',
	description:
		'The durable execution ARN, as Invoke returns it in durableExecutionArn. Its Region wins over the node\'s Region.',
};

export const callbackIdProperty: INodeProperties = {
	displayName: 'Callback ID',
	name: 'callbackId',
	type: 'string',
	default: '',
	required: true,
	placeholder: 'e.g. {{ $json.body.callbackId }}',
	description: 'The callback ID the durable function handed out while it waits (for example to a webhook)',
};

/** The ErrorObject fields of Stop and Send Callback Failure. */
export const errorFieldsProperty: INodeProperties = {
	displayName: 'Error',
	name: 'error',
	type: 'collection',
	placeholder: 'Add Field',
	default: {},
	options: [
		{ displayName: 'Error Type', name: 'errorType', type: 'string', default: '', placeholder: 'e.g. Rejected' },
		{ displayName: 'Error Message', name: 'errorMessage', type: 'string', default: '', placeholder: 'e.g. The approver declined the order' },
		{ displayName: 'Error Data', name: 'errorData', type: 'string', default: '', description: 'Machine-readable details, for example JSON text' },
	],
};

export interface ExecutionReference {
	arn: string;
	region: string;
}

export function parseExecutionArn(node: INode, itemIndex: number, raw: unknown): ExecutionReference {
	const arn = typeof raw === 'string' ? raw.trim() : '';
	const fail = (problem: string) =>
		inputError(
			node,
			itemIndex,
			'Execution ARN',
			problem,
			'Use the durableExecutionArn that Invoke returned: arn:aws:lambda:REGION:ACCOUNT_ID:function:NAME:VERSION/durable-execution/NAME/ID.',
		);
	if (arn === '') throw fail('no execution ARN given');
	if (arn.length > MAX_ARN_CHARS) throw fail(`${arn.length} characters is longer than AWS allows (${MAX_ARN_CHARS})`);
	const match = EXECUTION_ARN.exec(arn);
	if (!match || !isRegionCode(match[2])) throw fail(`"${arn}" is not a durable execution ARN`);
	return { arn, region: match[2] };
}

export function parseCallbackId(node: INode, itemIndex: number, raw: unknown): string {
	const id = typeof raw === 'string' ? raw.trim() : '';
	const fail = (problem: string) =>
		inputError(
			node,
			itemIndex,
			'Callback ID',
			problem,
			'Pass the callback ID exactly as the durable function handed it out (base64 text, for example from the webhook body).',
		);
	if (id === '') throw fail('no callback ID given');
	if (id.length > MAX_CALLBACK_ID_CHARS) throw fail(`${id.length} characters is longer than AWS allows (${MAX_CALLBACK_ID_CHARS})`);
	if (!CALLBACK_ID.test(id)) throw fail('is not base64 text (letters, digits, + and /, up to two = at the end)');
	return id;
}

/** A durable operation's text for the AI Agent's model; every one of them answers a failure alike. */
export function durableToolDescription(operation: string, text: string): INodeProperties {
	return toolDescription(
		'durableExecution',
		operation,
		`${text} On failure the answer is [{"error": "<what failed>", "description": "<how to fix it>"}]: read it, correct the arguments and call again.`,
	);
}

/** An ErrorObject from the Error fields, or undefined when none is filled in (AWS then records none). */
export function errorObjectFrom(fields: IDataObject): ErrorObject | undefined {
	const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
	const error: ErrorObject = {
		ErrorType: text(fields.errorType),
		ErrorMessage: text(fields.errorMessage),
		ErrorData: text(fields.errorData),
	};
	return Object.values(error).some((value) => value !== undefined) ? error : undefined;
}

/** The call of one item: its access read now, so every item is checked before the first request. */
export async function durableCall(
	execute: IExecuteFunctions,
	itemIndex: number,
	region: string,
	kind: AwsCall['kind'],
	action: string,
	durableTarget?: 'execution' | 'callback',
): Promise<AwsCall> {
	return {
		access: await accessForItem(execute, itemIndex, region),
		region,
		kind,
		settings: kind === 'read' ? READ_SETTINGS : CHANGE_SETTINGS,
		failure: { node: execute.getNode(), itemIndex, action, durableTarget },
	};
}

/** Returns a prepared item's operation with the concurrency every durable operation shares. */
export function durableOperation<Prepared extends { call: AwsCall }>(
	description: INodeProperties[],
	prepare: (execute: IExecuteFunctions, itemIndex: number) => Promise<Prepared>,
	run: (prepared: Prepared, context: RunContext) => Promise<INodeExecutionData[]>,
	concurrency = DEFAULT_CONCURRENCY,
): Operation<Prepared> {
	return { description, prepare, run, concurrency: () => concurrency, defaultConcurrency: concurrency };
}

/** Dates as ISO text and absent fields dropped, so the item is plain JSON. */
export function asJson(value: object): IDataObject {
	return JSON.parse(JSON.stringify(value, (key, field: unknown) => (key === '$metadata' ? undefined : field))) as IDataObject;
}

/** Result and input payloads are JSON text at AWS; parsed when they are JSON, kept as text otherwise. */
export function parsedPayload(text: string | undefined): unknown {
	if (text === undefined) return undefined;
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}

/** Durable list and history pages hold at most 1,000 entries (API model, MaxItems). */
const MAX_PAGE_ITEMS = 1000;

export const pagingProperties: INodeProperties[] = [
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
	},
	{
		displayName: 'Max Items',
		name: 'maxItems',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: MAX_PAGE_ITEMS },
		default: 50,
		displayOptions: { show: { returnAll: [false] } },
		description: 'Max number of results to return',
	},
	{
		displayName: 'Marker',
		name: 'marker',
		type: 'string',
		default: '',
		displayOptions: { show: { returnAll: [false] } },
		description:
			'The NextMarker of a previous call with the same settings, to get the next page. While more pages exist the last item carries NextMarker; a page AWS returned empty is one item holding only NextMarker.',
	},
];

export interface Paging {
	returnAll: boolean;
	maxItems?: number;
	marker?: string;
}

export function pagingFor(execute: IExecuteFunctions, itemIndex: number): Paging {
	if (execute.getNodeParameter('returnAll', itemIndex, false) === true) return { returnAll: true };
	const marker = String(execute.getNodeParameter('marker', itemIndex, '') ?? '').trim();
	return {
		returnAll: false,
		maxItems: boundedInteger(execute.getNode(), itemIndex, 'Max Items', execute.getNodeParameter('maxItems', itemIndex, 50), 1, MAX_PAGE_ITEMS),
		marker: marker || undefined,
	};
}

export interface Page<T> {
	items: T[];
	nextMarker?: string;
}

/**
 * One page, or with Return All every page in turn, each its own request (so a retry repeats one page).
 * The last item carries NextMarker when more pages exist, as List Functions does.
 */
export async function pagedItems<T extends object>(
	paging: Paging,
	context: RunContext,
	nothingMatched: string,
	fetch: (marker: string | undefined, maxItems: number) => Promise<Page<T>>,
): Promise<INodeExecutionData[]> {
	const collected: T[] = [];
	let marker = paging.marker;
	do {
		const page = await fetch(marker, paging.maxItems ?? MAX_PAGE_ITEMS);
		collected.push(...page.items);
		marker = page.nextMarker;
	} while (paging.returnAll && marker);
	const entries = collected.map(asJson);
	if (entries.length === 0) return emptyAnswer(marker, isToolMode(context.execute), nothingMatched);
	if (marker) entries[entries.length - 1].NextMarker = marker;
	return entries.map((json) => ({ json }));
}

/**
 * AWS may answer an empty page that still has a NextMarker (a filter skipped it): dropping it would end
 * the paging, so it becomes an item of its own. A model reads zero items as "", so it is told why.
 */
function emptyAnswer(marker: string | undefined, toolMode: boolean, nothingMatched: string): INodeExecutionData[] {
	if (!toolMode) return marker ? [{ json: { NextMarker: marker } }] : [];
	if (!marker) return [{ json: { note: nothingMatched } }];
	return [{ json: { note: 'This page held no entries, but more follow: ask again with Marker set to NextMarker.', NextMarker: marker } }];
}
