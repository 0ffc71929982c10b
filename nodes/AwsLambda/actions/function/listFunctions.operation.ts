import type { FunctionConfiguration, ListFunctionsCommandInput } from '@aws-sdk/client-lambda';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { inputError } from '../../input/errors';
import { boundedInteger, LIMITS } from '../../input/limits';
import { assertRegion, regionForItem } from '../../input/region';
import { accessForItem } from '../../transport/access';
import { loadLambdaSdk } from '../../transport/sdk';
import type { AwsCall } from '../../transport/send';
import { sendAws } from '../../transport/send';
import { isToolMode, toolDescription } from '../toolMode';
import type { Operation, RunContext } from '../types';

/** Listing is cheap and idempotent; the SDK's standard retry applies. */
const LIST_SETTINGS = { timeoutMs: 60_000, maxAttempts: 5 };

const properties: INodeProperties[] = [
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
		typeOptions: { minValue: 1, maxValue: 50 },
		default: 50,
		displayOptions: { show: { returnAll: [false] } },
		description:
			'Provide an integer value for the maximum amount of items that will be returned. Provide a value from 1 to 50.',
	},
	{
		displayName: 'Marker',
		name: 'marker',
		type: 'string',
		default: '',
		displayOptions: { show: { returnAll: [false] } },
		description:
			'Specify the pagination token that\'s returned by a previous request to retrieve the next page of results. It is the NextMarker field of the previous call\'s output.',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Function Version',
				name: 'functionVersion',
				type: 'options',
				options: [
					{ name: 'Latest Only', value: 'LATEST', description: 'One entry per function ($LATEST)' },
					{ name: 'All Versions', value: 'ALL', description: 'Also every published version' },
				],
				default: 'LATEST',
				description: 'Whether to include published versions (FunctionVersion=ALL)',
			},
			{
				displayName: 'Include Environment Variable Values',
				name: 'includeEnvironmentValues',
				type: 'boolean',
				default: false,
				description:
					'Whether to return the values of each function\'s environment variables. Off: the names are kept and every value reads [hidden], because AWS marks these values sensitive (they often hold passwords and tokens).',
			},
			{
				displayName: 'Master Region',
				name: 'masterRegion',
				type: 'string',
				default: '',
				placeholder: 'e.g. us-east-1 or ALL',
				description:
					'For Lambda@Edge: list the replicas of functions from this Region (or ALL). Requires Function Version: All Versions.',
			},
			{
				displayName: 'Output',
				name: 'output',
				type: 'options',
				options: [
					{
						name: 'One Item per Function',
						value: 'function',
						description: 'When more pages exist, the last item also carries NextMarker',
					},
					{
						name: 'One Item per Page',
						value: 'page',
						description: 'Each item holds Functions and NextMarker, for paging with Marker',
					},
				],
				default: 'function',
			},
		],
	},
];

export const description = updateDisplayOptions({ show: { resource: ['function'], operation: ['listFunctions'] } }, [
	...properties,
	toolDescription(
		'function',
		'listFunctions',
		'Lists the AWS Lambda functions of the configured account and Region, to find the name of a function to invoke. The answer is [{"functions": [{"FunctionName", "Runtime", "Description", "LastModified"}], "count", "moreAvailable"}]; with no function it says so in "note". On failure the answer is [{"error": "<what failed>", "description": "<how to fix it>"}].',
	),
]);

interface PreparedList {
	call: AwsCall;
	returnAll: boolean;
	input: ListFunctionsCommandInput;
	perPage: boolean;
	includeEnvironmentValues: boolean;
}

async function prepare(execute: IExecuteFunctions, itemIndex: number): Promise<PreparedList> {
	const node = execute.getNode();
	const region = regionForItem(execute, itemIndex);
	const returnAll = execute.getNodeParameter('returnAll', itemIndex, false) as boolean;
	const options = execute.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const input: ListFunctionsCommandInput = {};
	if (options.functionVersion === 'ALL') input.FunctionVersion = 'ALL';
	const masterRegion = typeof options.masterRegion === 'string' ? options.masterRegion.trim() : '';
	if (masterRegion) {
		if (input.FunctionVersion !== 'ALL') {
			throw inputError(
				node,
				itemIndex,
				'Master Region',
				'needs Function Version: All Versions',
				'AWS only lists Lambda@Edge replicas together with FunctionVersion=ALL: set the Function Version option to All Versions.',
			);
		}
		input.MasterRegion = masterRegion === 'ALL' ? 'ALL' : assertRegion(node, itemIndex, masterRegion);
	}
	if (!returnAll) {
		input.MaxItems = boundedInteger(
			node,
			itemIndex,
			'Max Items',
			execute.getNodeParameter('maxItems', itemIndex, LIMITS.listPageSize),
			1,
			LIMITS.listPageSize,
		);
		const marker = String(execute.getNodeParameter('marker', itemIndex, '') ?? '').trim();
		if (marker) input.Marker = marker;
	}
	return {
		call: {
			access: await accessForItem(execute, itemIndex, region),
			region,
			kind: 'read',
			settings: LIST_SETTINGS,
			failure: { node, itemIndex, action: 'List functions' },
		},
		returnAll,
		input,
		perPage: options.output === 'page',
		includeEnvironmentValues: options.includeEnvironmentValues === true,
	};
}

async function run(prepared: PreparedList, context: RunContext): Promise<INodeExecutionData[]> {
	const listed = prepared.returnAll ? await allPages(prepared, context) : [await onePage(prepared, context)];
	if (isToolMode(context.execute)) return [listForModel(listed)];
	const pages = prepared.includeEnvironmentValues ? listed : listed.map(withEnvironmentValuesHidden);
	if (prepared.perPage) {
		return pages.map((page) => ({ json: { Functions: page.functions as IDataObject[], NextMarker: page.nextMarker ?? null } }));
	}
	const last = pages[pages.length - 1];
	const items: INodeExecutionData[] = pages.flatMap((page) =>
		page.functions.map((fn) => ({ json: fn as IDataObject })),
	);
	if (last?.nextMarker && items.length > 0) {
		items[items.length - 1].json.NextMarker = last.nextMarker;
	}
	return items;
}

interface Page {
	functions: FunctionConfiguration[];
	nextMarker?: string;
}

/**
 * An agent needs names to call and a little to choose by; whole configurations (environment, role,
 * layers) would crowd its context. Always one item: an empty answer reaches the model as "".
 */
function listForModel(pages: Page[]): INodeExecutionData {
	const functions = pages.flatMap((page) => page.functions.map(summaryForModel));
	const moreAvailable = Boolean(pages[pages.length - 1]?.nextMarker);
	return {
		json: {
			functions,
			count: functions.length,
			moreAvailable,
			...(functions.length === 0 ? { note: 'No functions matched: the account has none in this Region, or none for the Function Version and Master Region options.' } : {}),
		},
	};
}

function summaryForModel({ FunctionName, Runtime, Description, LastModified }: FunctionConfiguration): IDataObject {
	return { FunctionName, Runtime: Runtime ?? null, Description: Description ?? '', LastModified: LastModified ?? null };
}

const HIDDEN = '[hidden]';

function withEnvironmentValuesHidden(page: Page): Page {
	return { ...page, functions: page.functions.map(withHiddenValues) };
}

function withHiddenValues(fn: FunctionConfiguration): FunctionConfiguration {
	const variables = fn.Environment?.Variables;
	if (!variables) return fn;
	const names = Object.keys(variables);
	return {
		...fn,
		Environment: { ...fn.Environment, Variables: Object.fromEntries(names.map((name) => [name, HIDDEN])) },
	};
}

async function onePage(prepared: PreparedList, context: RunContext): Promise<Page> {
	const { ListFunctionsCommand } = await loadLambdaSdk();
	const output = await sendAws(context, prepared.call, async (client, signal) =>
		await client.send(new ListFunctionsCommand(prepared.input), { abortSignal: signal }),
	);
	return { functions: output.Functions ?? [], nextMarker: output.NextMarker };
}

/** Follows NextMarker with the SDK's own paginator, 50 functions per page (the API's maximum). */
async function allPages(prepared: PreparedList, context: RunContext): Promise<Page[]> {
	const { paginateListFunctions } = await loadLambdaSdk();
	return await sendAws(context, prepared.call, async (client, signal) => {
		const pages: Page[] = [];
		const paginator = paginateListFunctions(
			{ client, pageSize: LIMITS.listPageSize },
			{ ...prepared.input },
			{ abortSignal: signal },
		);
		for await (const output of paginator) {
			pages.push({ functions: output.Functions ?? [], nextMarker: output.NextMarker });
		}
		return pages;
	});
}

const CONCURRENCY = 1;

export const operation: Operation<PreparedList> = {
	description,
	prepare,
	run,
	concurrency: () => CONCURRENCY,
	defaultConcurrency: CONCURRENCY,
};
