import type { INode } from 'n8n-workflow';

import { inputError } from './errors';

/** AWS's pattern for a durable execution name (API reference, DurableExecutionName). */
const DURABLE_EXECUTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** A durable execution name, or undefined when the field is empty. */
export function parseDurableExecutionName(node: INode, itemIndex: number, raw: unknown): string | undefined {
	const name = typeof raw === 'string' || typeof raw === 'number' ? String(raw).trim() : '';
	if (name === '') return undefined;
	if (!DURABLE_EXECUTION_NAME.test(name)) {
		throw inputError(
			node,
			itemIndex,
			'Durable Execution Name',
			`"${name}" is not a durable execution name`,
			'Use 1–64 letters, digits, hyphens or underscores, for example derived from a business key: {{ "order-" + $json.orderId }}.',
		);
	}
	return name;
}
