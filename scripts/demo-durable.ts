import { Approver } from '../test/support/approver';
import type { HandedOut } from '../test/support/approver';
import type { LocalAws } from '../test/support/aws-endpoint';
import { invokeParameters, runLambda } from '../test/support/lambda-node';

type Show = (aws: LocalAws, title: string, run: Parameters<typeof runLambda>[1]) => Promise<number>;

/**
 * The human-approval pattern end to end on the local endpoint: a named start, the function's
 * callback ID reaching an approver (a loopback stub standing in for n8n's webhook and form), the
 * decision sent back, and the execution's result. Returns the number of failed steps.
 */
export async function showDurableApproval(aws: LocalAws, show: Show): Promise<number> {
	const approver = new Approver();
	await approver.start();
	try {
		const order = { orderId: 'D-4711', amount: 1250, callbackUrl: approver.url };
		let failures = await show(aws, 'Durable: start the approval of order D-4711 (named order-D-4711)', {
			parameters: invokeParameters('durable-approval:live', {
				invocationType: 'Event',
				options: { sendInputItem: true, durableExecutionName: "={{ 'order-' + $json.orderId }}" },
			}),
			items: [order],
		});
		const handed = await firstHandedOut(approver);
		failures += await show(aws, 'Durable: the approver says yes (Send Callback Success)', {
			parameters: { resource: 'durableExecution', operation: 'sendCallbackSuccess', region: 'us-east-1', callbackId: handed.callbackId, result: '{"approved":true}' },
		});
		failures += await show(aws, 'Durable: Get, waiting for completion', {
			parameters: { resource: 'durableExecution', operation: 'get', region: 'us-east-1', executionArn: handed.executionArn, options: { waitForCompletion: true, pollIntervalSeconds: 1 } },
		});
		return failures;
	} finally {
		await approver.stop();
	}
}

async function firstHandedOut(approver: Approver): Promise<HandedOut> {
	while (approver.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
	return approver.received[0];
}
