import type { INodeProperties } from 'n8n-workflow';

import * as invoke from './invoke.operation';
import * as listFunctions from './listFunctions.operation';

export { invoke, listFunctions };

export const operationProperty: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	displayOptions: { show: { resource: ['function'] } },
	options: [
		{
			name: 'Invoke',
			value: 'invoke',
			description: 'Invoke an AWS Lambda function',
			action: 'Invoke a function',
		},
		{
			name: 'List Functions',
			value: 'listFunctions',
			description: 'List information and metadata about AWS Lambda functions',
			action: 'List functions',
		},
	],
	default: 'invoke',
};

/** The fields of every operation; the node lists them after the Region, which all operations share. */
export const description: INodeProperties[] = [
	...invoke.description,
	...listFunctions.description,
];
