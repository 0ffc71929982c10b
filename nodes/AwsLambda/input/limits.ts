import type { INode } from 'n8n-workflow';

import { inputError } from './errors';

/** AWS Lambda service limits (Invoke API reference, "Lambda quotas"). */
export const LIMITS = {
	syncPayloadBytes: 6 * 1024 * 1024,
	asyncPayloadBytes: 1024 * 1024,
	clientContextBase64Bytes: 3583,
	functionNameChars: 64,
	qualifierChars: 128,
	functionReferenceChars: 256,
	listPageSize: 50,
} as const;

export function boundedInteger(
	node: INode,
	itemIndex: number,
	field: string,
	value: unknown,
	min: number,
	max: number,
): number {
	const number = Number(value);
	if (!Number.isInteger(number) || number < min || number > max) {
		throw inputError(
			node,
			itemIndex,
			field,
			`${String(value)} is not a whole number from ${min} to ${max}`,
			`Enter a value from ${min} to ${max}.`,
		);
	}
	return number;
}
