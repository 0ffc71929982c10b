import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties, IPairedItemData } from 'n8n-workflow';

import { redact } from '../transport/errors';

/**
 * The most JSON text one tool call hands the model: about 16,000 tokens, a small share of any
 * current model's context, and the agent sends it again on every later turn of the conversation.
 * Lambda answers up to 6 MB, which no model reads whole.
 */
export const TOOL_ANSWER_LIMIT_CHARS = 65_536;

/** n8n runs a node as an AI Agent tool under its type name with `Tool` appended (`…awsLambdaTool`). */
export function isToolMode(execute: IExecuteFunctions): boolean {
	return execute.getNode().type.endsWith('Tool');
}

/**
 * The text the agent's model reads to choose and call one operation's tool. Shown only on the tool
 * variant of the node, so the plain node (and every stored workflow) keeps its parameters; and with
 * a property of this name n8n adds no generic description of its own.
 */
export function toolDescription(resource: string, operation: string, text: string): INodeProperties {
	return {
		displayName: 'Tool Description',
		name: 'toolDescription',
		type: 'string',
		default: text,
		typeOptions: { rows: 6 },
		description: 'What the AI Agent\'s model is told about this tool: when to call it and what it answers',
		displayOptions: { show: { '@tool': [true], resource: [resource], operation: [operation] } },
	};
}

/**
 * What the model reads: n8n gives it `JSON.stringify(items.map((item) => item.json))` and nothing
 * else. Binary data becomes a description of the file, secrets the node knows are scrubbed (a
 * function may answer with the secret it received), and an answer over the limit becomes one item
 * with a preview.
 */
export function answerForModel(items: INodeExecutionData[], secrets: readonly string[]): INodeExecutionData[] {
	const readable = items.map(withBinaryDescribed);
	const text = JSON.stringify(readable.map((item) => item.json));
	// Scrubbed before the cut, so a secret across the cut cannot leave its first half in the preview.
	const scrubbed = redact(text, secrets);
	if (scrubbed.length > TOOL_ANSWER_LIMIT_CHARS) return [truncatedAnswer(scrubbed, readable)];
	if (scrubbed === text) return readable;
	const scrubbedJson = JSON.parse(scrubbed) as IDataObject[];
	return readable.map((item, index) => ({ ...item, json: scrubbedJson[index] }));
}

function withBinaryDescribed(item: INodeExecutionData): INodeExecutionData {
	if (!item.binary) return item;
	const files = Object.fromEntries(
		Object.entries(item.binary).map(([field, { fileName, mimeType, fileSize }]) => [field, { fileName, mimeType, fileSize }]),
	);
	return { json: { ...item.json, binary: files }, pairedItem: item.pairedItem };
}

function truncatedAnswer(text: string, items: INodeExecutionData[]): INodeExecutionData {
	const marker = {
		truncated: true,
		originalChars: text.length,
		limitChars: TOOL_ANSWER_LIMIT_CHARS,
		note: `The answer was ${text.length} characters of JSON, more than the ${TOOL_ANSWER_LIMIT_CHARS} a tool returns to the model. preview holds its first characters as text. For the whole result, run the AWS Lambda node outside the agent, as a normal workflow step.`,
	};
	const room = TOOL_ANSWER_LIMIT_CHARS - JSON.stringify([{ ...marker, preview: '' }]).length;
	return {
		json: { ...marker, preview: longestPrefixFitting(text, room) },
		pairedItem: items.flatMap((item) => (item.pairedItem ?? []) as IPairedItemData | IPairedItemData[]),
	};
}

/** JSON escapes quotes and backslashes, so a prefix of `room` characters may not fit in `room`. */
function longestPrefixFitting(text: string, room: number): string {
	let length = room;
	for (;;) {
		const escapedChars = JSON.stringify(text.slice(0, length)).length - 2;
		if (escapedChars <= room) return text.slice(0, length);
		length -= escapedChars - room;
	}
}
