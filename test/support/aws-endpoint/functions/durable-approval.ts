import type { DurableHandler } from '../durable-execution';

/** The event the durable fixture understands; every field is optional. */
export interface ApprovalEvent {
	orderId?: string;
	/** Where the function POSTs `{ callbackId, executionArn, orderId }`, as a real function hands its callback ID to an approver. */
	callbackUrl?: string;
	callbackTimeoutSeconds?: number;
	heartbeatTimeoutSeconds?: number;
	/** A durable wait before the decision (scaled by the endpoint's durable clock). */
	waitSeconds?: number;
	/** Makes the function fail with this message after its first step. */
	failWith?: string;
}

/**
 * A durable order approval: checkpoints a validation step, optionally sleeps, hands a callback ID to
 * `callbackUrl` and waits for the decision, then records it. Without `callbackUrl` it finishes at once.
 */
export const handler: DurableHandler = async (event, context) => {
	const order = (event ?? {}) as ApprovalEvent;
	const orderId = await context.step('validate-order', () => order.orderId ?? 'no-order');
	if (order.waitSeconds) await context.wait('cool-down', order.waitSeconds);
	if (order.failWith) throw Object.assign(new Error(order.failWith), { errorType: 'OrderRejected' });
	if (!order.callbackUrl) return { orderId, status: 'processed' };
	const callbackUrl = order.callbackUrl;
	const decision = await context.waitForCallback(
		'approval',
		async (callbackId) => await handOut(callbackUrl, { callbackId, executionArn: context.executionArn, orderId }),
		{ timeoutSeconds: order.callbackTimeoutSeconds, heartbeatTimeoutSeconds: order.heartbeatTimeoutSeconds },
	);
	return await context.step('record-decision', () => ({ orderId, status: 'approved', decision: parseDecision(decision) }));
};

async function handOut(url: string, body: Record<string, string>): Promise<void> {
	const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
	if (!response.ok) throw new Error(`The approver at ${url} answered ${response.status}`);
	await response.arrayBuffer();
}

function parseDecision(text: string | undefined): unknown {
	if (text === undefined || text === '') return null;
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}
