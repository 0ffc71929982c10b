import type { Event } from '@aws-sdk/client-lambda';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { loadLambdaSdk } from '../../transport/sdk';
import type { AwsCall } from '../../transport/send';
import { sendAws } from '../../transport/send';
import type { RunContext } from '../types';
import type { Paging } from './common';
import { durableCall, durableOperation, durableToolDescription, executionArnProperty, pagedItems, pagingFor, pagingProperties, parseExecutionArn } from './common';

const properties: INodeProperties[] = [
	executionArnProperty,
	...pagingProperties,
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Include Execution Data',
				name: 'includeExecutionData',
				type: 'boolean',
				default: true,
				description: 'Whether each event carries its payloads (input, step results, errors)',
			},
			{ displayName: 'Reverse Order', name: 'reverseOrder', type: 'boolean', default: false, description: 'Whether to return the newest events first' },
		],
	},
];

export const description = updateDisplayOptions({ show: { resource: ['durableExecution'], operation: ['getHistory'] } }, [
	...properties,
	durableToolDescription(
		'getHistory',
		'Gets the events of one AWS Lambda durable execution, given its execution ARN: its steps, waits and callbacks in order. The answer is one item per event: {"EventId", "EventType", "EventTimestamp", "Name", and the event\'s details}; the last one holds "NextMarker" when more exist.',
	),
]);

interface PreparedHistory {
	call: AwsCall;
	arn: string;
	includeExecutionData: boolean;
	reverseOrder: boolean;
	paging: Paging;
}

async function prepare(execute: IExecuteFunctions, itemIndex: number): Promise<PreparedHistory> {
	const { arn, region } = parseExecutionArn(execute.getNode(), itemIndex, execute.getNodeParameter('executionArn', itemIndex));
	const options = execute.getNodeParameter('options', itemIndex, {}) as IDataObject;
	return {
		call: await durableCall(execute, itemIndex, region, 'read', 'Get durable execution history', 'execution'),
		arn,
		includeExecutionData: options.includeExecutionData !== false,
		reverseOrder: options.reverseOrder === true,
		paging: pagingFor(execute, itemIndex),
	};
}

async function run(prepared: PreparedHistory, context: RunContext): Promise<INodeExecutionData[]> {
	const { GetDurableExecutionHistoryCommand } = await loadLambdaSdk();
	const input = { DurableExecutionArn: prepared.arn, IncludeExecutionData: prepared.includeExecutionData, ReverseOrder: prepared.reverseOrder };
	return await pagedItems<Event>(prepared.paging, context, 'No history events matched: the execution has none on this page.', async (Marker, MaxItems) => {
		const output = await sendAws(context, prepared.call, async (client, signal) =>
			await client.send(new GetDurableExecutionHistoryCommand({ ...input, Marker, MaxItems }), { abortSignal: signal }),
		);
		return { items: output.Events ?? [], nextMarker: output.NextMarker };
	});
}

export const operation = durableOperation(description, prepare, run, 1);
