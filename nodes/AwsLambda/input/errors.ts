import type { INode } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

const SECRET_PARAMETERS = ['secretAccessKey', 'sessionToken'];

/**
 * The node as errors carry it. n8n stores an error's node in the execution data and logs it, and the
 * node's parameters hold Dynamic Credentials as typed: their secret fields are masked here.
 */
export function redactedNode(node: INode): INode {
	const dynamic = node.parameters?.dynamicCredentials;
	if (!dynamic || typeof dynamic !== 'object' || Array.isArray(dynamic)) return node;
	const masked = Object.fromEntries(
		Object.entries(dynamic).map(([field, value]) => [field, SECRET_PARAMETERS.includes(field) && value ? '[redacted]' : value]),
	);
	return { ...node, parameters: { ...node.parameters, dynamicCredentials: masked } };
}

/**
 * A clear, item-scoped error about one input field. Thrown before any request is sent, so a
 * workflow with a bad item fails fast instead of half-running.
 */
export function inputError(
	node: INode,
	itemIndex: number,
	field: string,
	problem: string,
	fix: string,
): NodeOperationError {
	return new NodeOperationError(redactedNode(node), `${field} (item ${itemIndex}): ${problem}`, {
		itemIndex,
		description: fix,
	});
}
