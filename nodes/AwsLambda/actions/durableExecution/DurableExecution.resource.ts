import type { INodeProperties } from 'n8n-workflow';

import * as get from './get.operation';
import * as getHistory from './getHistory.operation';
import * as list from './list.operation';
import * as sendCallbackFailure from './sendCallbackFailure.operation';
import * as sendCallbackHeartbeat from './sendCallbackHeartbeat.operation';
import * as sendCallbackSuccess from './sendCallbackSuccess.operation';
import * as stop from './stop.operation';

export { get, getHistory, list, sendCallbackFailure, sendCallbackHeartbeat, sendCallbackSuccess, stop };

export const operationProperty: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	displayOptions: { show: { resource: ['durableExecution'] } },
	options: [
		{ name: 'Get', value: 'get', description: 'Get a durable execution\'s status, input and result, optionally waiting for it to finish', action: 'Get a durable execution' },
		{ name: 'Get History', value: 'getHistory', description: 'Get the events of a durable execution: steps, waits, callbacks', action: 'Get the history of a durable execution' },
		{ name: 'List', value: 'list', description: 'List the durable executions of a function', action: 'List durable executions' },
		{ name: 'Send Callback Failure', value: 'sendCallbackFailure', description: 'Resume a waiting durable function with an error', action: 'Send a callback failure' },
		{ name: 'Send Callback Heartbeat', value: 'sendCallbackHeartbeat', description: 'Tell a waiting durable function that its callback is still being worked on', action: 'Send a callback heartbeat' },
		{ name: 'Send Callback Success', value: 'sendCallbackSuccess', description: 'Resume a waiting durable function with a result', action: 'Send a callback success' },
		{ name: 'Stop', value: 'stop', description: 'Stop a running durable execution', action: 'Stop a durable execution' },
	],
	default: 'get',
};

export const description: INodeProperties[] = [
	...get.description,
	...list.description,
	...getHistory.description,
	...stop.description,
	...sendCallbackSuccess.description,
	...sendCallbackFailure.description,
	...sendCallbackHeartbeat.description,
];
