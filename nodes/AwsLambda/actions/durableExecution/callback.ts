import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { regionForItem } from '../../input/region';
import type { AwsCall } from '../../transport/send';
import { sendAws } from '../../transport/send';
import type { RunContext } from '../types';
import { callbackIdProperty, durableCall, parseCallbackId } from './common';

export { callbackIdProperty };

export interface PreparedCallback {
	call: AwsCall;
	callbackId: string;
}

/** Callback IDs carry no Region: the call goes to the node's Region, where the durable function runs. */
export async function prepareCallback(execute: IExecuteFunctions, itemIndex: number, action: string): Promise<PreparedCallback> {
	const callbackId = parseCallbackId(execute.getNode(), itemIndex, execute.getNodeParameter('callbackId', itemIndex));
	return { call: await durableCall(execute, itemIndex, regionForItem(execute, itemIndex), 'invoke', action, 'callback'), callbackId };
}

/** Sends one callback call; the item names the callback answered and what was sent. */
export async function sendCallback(
	prepared: PreparedCallback,
	context: RunContext,
	sent: 'success' | 'failure' | 'heartbeat',
	send: (client: LambdaClient, signal?: AbortSignal) => Promise<unknown>,
): Promise<INodeExecutionData[]> {
	await sendAws(context, prepared.call, send);
	return [{ json: { callbackId: prepared.callbackId, sent } }];
}
