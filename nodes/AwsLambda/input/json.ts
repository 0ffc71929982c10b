import type { INode } from 'n8n-workflow';

import { inputError } from './errors';
import { LIMITS } from './limits';

/**
 * Parses a JSON input field. Strings are parsed (so the error can say where), objects from
 * expressions are taken as they are.
 */
export function parseJsonField(
	node: INode,
	itemIndex: number,
	field: string,
	value: unknown,
): unknown {
	if (typeof value !== 'string') return value;
	try {
		return JSON.parse(value);
	} catch (error) {
		throw inputError(
			node,
			itemIndex,
			field,
			`not valid JSON: ${whereParsingFails(error, value)}`,
			'Enter a JSON value such as {"key": "value"}, or switch the field to an expression that returns an object.',
		);
	}
}

/**
 * The engine's message quotes the text around the error (up to ten characters of it), which may be
 * part of a secret an expression put there: only the position is kept.
 */
function whereParsingFails(error: unknown, text: string): string {
	const position = /at position (\d+)/.exec((error as Error).message)?.[1];
	if (position === undefined) return 'unexpected text';
	const lines = text.slice(0, Number(position)).split('\n');
	return `fails at position ${position} (line ${lines.length}, column ${lines[lines.length - 1].length + 1})`;
}

/**
 * Serialises the payload once. A JSON string the user typed is sent as typed (after checking
 * that it parses), so a large payload is not parsed into objects and printed again.
 */
export function serializePayload(
	node: INode,
	itemIndex: number,
	value: unknown,
	invocationType: string,
): string {
	let text: string;
	if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
		text = '{}';
	} else if (typeof value === 'string') {
		parseJsonField(node, itemIndex, 'Payload', value);
		text = value;
	} else {
		text = JSON.stringify(value);
	}
	const limit = invocationType === 'Event' ? LIMITS.asyncPayloadBytes : LIMITS.syncPayloadBytes;
	const size = Buffer.byteLength(text, 'utf8');
	if (size > limit) {
		throw inputError(
			node,
			itemIndex,
			'Payload',
			`${bytes(size)} is over the AWS limit of ${bytes(limit)} (${limit / (1024 * 1024)} MB) for ${invocationType} invocations`,
			invocationType === 'Event'
				? 'Asynchronous (Event) payloads are limited to 1 MB. Send a reference (an S3 key, for example) instead of the data.'
				: 'Synchronous payloads are limited to 6 MB. Send a reference (an S3 key, for example) instead of the data.',
		);
	}
	return text;
}

export function encodeClientContext(node: INode, itemIndex: number, value: unknown): string | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	const parsed = parseJsonField(node, itemIndex, 'Client Context', value);
	if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
		throw inputError(
			node,
			itemIndex,
			'Client Context',
			'must be a JSON object',
			'Use an object such as {"custom": {"tenant": "acme"}}; the function receives it as context.clientContext.',
		);
	}
	// The field's default is `{}`: an empty context is the same as none, so no header is sent.
	if (Object.keys(parsed).length === 0) return undefined;
	const encoded = Buffer.from(JSON.stringify(parsed), 'utf8').toString('base64');
	if (encoded.length > LIMITS.clientContextBase64Bytes) {
		throw inputError(
			node,
			itemIndex,
			'Client Context',
			`${bytes(encoded.length)} once base64-encoded; AWS allows ${bytes(LIMITS.clientContextBase64Bytes)}`,
			'Keep the client context small (about 2.6 KB of JSON) and pass larger data in the payload.',
		);
	}
	return encoded;
}

function bytes(count: number): string {
	return `${count.toLocaleString('en-US')} bytes`;
}
