import type { Execution, ExecutionStatus, ListDurableExecutionsByFunctionCommandInput } from '@aws-sdk/client-lambda';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeParameterResourceLocator, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { inputError } from '../../input/errors';
import { parseDurableExecutionName } from '../../input/durableExecutionName';
import type { FunctionReferenceMode } from '../../input/functionReference';
import { parseFunctionReference } from '../../input/functionReference';
import { regionForItem } from '../../input/region';
import { loadLambdaSdk } from '../../transport/sdk';
import type { AwsCall } from '../../transport/send';
import { sendAws } from '../../transport/send';
import * as invoke from '../function/invoke.operation';
import type { RunContext } from '../types';
import type { Paging } from './common';
import { durableCall, durableOperation, durableToolDescription, pagedItems, pagingFor, pagingProperties } from './common';

const STATUSES: ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'STOPPED'];
const NOTHING_MATCHED = 'No durable executions matched: the function has none for this version and these filters.';

/** Invoke's function picker, one definition for both (its display options are Invoke's own). */
const functionNameProperty: INodeProperties = {
	...(invoke.description.find((property) => property.name === 'functionName') as INodeProperties),
	displayOptions: undefined,
	description: 'The durable function whose executions to list. A version or alias (my-function:live) lists that version\'s executions; without one, $LATEST\'s.',
};

const properties: INodeProperties[] = [
	functionNameProperty,
	...pagingProperties,
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		options: [
			{
				displayName: 'Durable Execution Name',
				name: 'durableExecutionName',
				type: 'string',
				default: '',
				description: 'Only the execution started with this name',
			},
			{ displayName: 'Reverse Order', name: 'reverseOrder', type: 'boolean', default: false, description: 'Whether to list the newest executions first' },
			{ displayName: 'Started After', name: 'startedAfter', type: 'dateTime', default: '' },
			{ displayName: 'Started Before', name: 'startedBefore', type: 'dateTime', default: '' },
			{
				displayName: 'Statuses',
				name: 'statuses',
				type: 'multiOptions',
				options: STATUSES.map((status) => ({ name: status, value: status })),
				default: [],
			},
		],
	},
];

export const description = updateDisplayOptions({ show: { resource: ['durableExecution'], operation: ['list'] } }, [
	...properties,
	durableToolDescription(
		'list',
		'Lists the durable executions of one AWS Lambda durable function, given its name (with :version or :alias for that version\'s), optionally filtered by execution name, status and start time. The answer is one item per execution: {"DurableExecutionArn", "DurableExecutionName", "Status", "StartTimestamp", "EndTimestamp"}; the last one holds "NextMarker" when more exist. With none it is [{"note": "<why>"}].',
	),
]);

interface PreparedList {
	call: AwsCall;
	input: ListDurableExecutionsByFunctionCommandInput;
	paging: Paging;
}

async function prepare(execute: IExecuteFunctions, itemIndex: number): Promise<PreparedList> {
	const node = execute.getNode();
	const locator = execute.getNodeParameter('functionName', itemIndex) as INodeParameterResourceLocator;
	const reference = parseFunctionReference(node, itemIndex, locator?.value, (locator?.mode ?? 'name') as FunctionReferenceMode);
	const region = reference.region ?? regionForItem(execute, itemIndex);
	const filters = execute.getNodeParameter('filters', itemIndex, {}) as IDataObject;
	return {
		call: await durableCall(execute, itemIndex, region, 'read', `List durable executions of ${reference.display}`),
		input: {
			FunctionName: reference.functionName,
			Qualifier: reference.qualifier,
			...filtersFor(execute, itemIndex, filters),
		},
		paging: pagingFor(execute, itemIndex),
	};
}

function filtersFor(execute: IExecuteFunctions, itemIndex: number, filters: IDataObject): Partial<ListDurableExecutionsByFunctionCommandInput> {
	const fail = (field: string, problem: string, fix: string) => inputError(execute.getNode(), itemIndex, field, problem, fix);
	const name = parseDurableExecutionName(execute.getNode(), itemIndex, filters.durableExecutionName);
	const statuses = Array.isArray(filters.statuses) ? (filters.statuses as string[]) : [];
	const unknown = statuses.find((status) => !STATUSES.includes(status as ExecutionStatus));
	if (unknown) throw fail('Statuses', `"${unknown}" is not an execution status`, `Use ${STATUSES.join(', ')}.`);
	const date = (field: string, value: unknown) => {
		if (value === undefined || value === '' || value === null) return undefined;
		const parsed = new Date(String(value));
		if (Number.isNaN(parsed.getTime())) throw fail(field, `"${String(value)}" is not a date and time`, 'Use an ISO 8601 date-time such as 2026-01-31T12:00:00Z.');
		return parsed;
	};
	return {
		DurableExecutionName: name,
		Statuses: statuses.length > 0 ? (statuses as ExecutionStatus[]) : undefined,
		StartedAfter: date('Started After', filters.startedAfter),
		StartedBefore: date('Started Before', filters.startedBefore),
		ReverseOrder: filters.reverseOrder === true ? true : undefined,
	};
}

async function run(prepared: PreparedList, context: RunContext): Promise<INodeExecutionData[]> {
	const { ListDurableExecutionsByFunctionCommand } = await loadLambdaSdk();
	return await pagedItems<Execution>(prepared.paging, context, NOTHING_MATCHED, async (Marker, MaxItems) => {
		const output = await sendAws(context, prepared.call, async (client, signal) =>
			await client.send(new ListDurableExecutionsByFunctionCommand({ ...prepared.input, Marker, MaxItems }), { abortSignal: signal }),
		);
		return { items: output.DurableExecutions ?? [], nextMarker: output.NextMarker };
	});
}

export const operation = durableOperation(description, prepare, run, 1);
