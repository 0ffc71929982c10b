/**
 * InvokeWithResponseStream: a handler's chunks framed as `PayloadChunk` events while it runs, then
 * one `InvokeComplete` event carrying an error raised mid-stream and the log tail.
 */
import type { FunctionDefinition } from './functions';
import { StreamBody } from './functions/runtime';
import { encodeEvent } from './eventStream';
import type { RunContext } from './invocation';
import { bufferedResult, errorDocument, startRun } from './invocation';

export interface StreamFrame {
	bytes: Buffer;
	/** Payload bytes this frame carries to the caller (0 for the final event). */
	payloadBytes: number;
}

export interface StreamedReply {
	contentType: string;
	frames: AsyncIterable<StreamFrame>;
}

export async function runStreamingHandler(fn: FunctionDefinition, event: unknown, context: RunContext, tailLog: boolean): Promise<StreamedReply> {
	const run = startRun(fn, context);
	const body = await asStream(async () => await fn.handler(event, run.context));
	return { contentType: body.contentType, frames: frames(body, () => (tailLog ? run.logTail() : undefined)) };
}

/** A buffered handler's result (or its error) streams as one chunk, as Lambda does for such functions. */
async function asStream(call: () => Promise<unknown>): Promise<StreamBody> {
	try {
		const result = await call();
		if (result instanceof StreamBody) return result;
		const bytes = await bufferedResult(result);
		return new StreamBody(single(bytes), 'application/json');
	} catch (error) {
		return new StreamBody(failing(error), 'application/json');
	}
}

async function* single(bytes: Buffer): AsyncGenerator<Buffer> {
	yield bytes;
}

/** A stream that fails before its first chunk (a buffered handler that threw). */
async function* failing(error: unknown): AsyncGenerator<Buffer> {
	throw error;
}

async function* frames(body: StreamBody, logTail: () => string | undefined): AsyncGenerator<StreamFrame> {
	const complete: { ErrorCode?: string; ErrorDetails?: string; LogResult?: string } = {};
	try {
		for await (const chunk of body.chunks) yield { bytes: encodeEvent('PayloadChunk', 'application/octet-stream', chunk), payloadBytes: chunk.length };
	} catch (error) {
		complete.ErrorCode = (error as { errorType?: string }).errorType ?? (error as Error).name;
		complete.ErrorDetails = errorDocument(error);
	}
	complete.LogResult = logTail();
	yield { bytes: encodeEvent('InvokeComplete', 'application/json', Buffer.from(JSON.stringify(complete))), payloadBytes: 0 };
}
