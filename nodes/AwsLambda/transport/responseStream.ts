import type {
	InvokeWithResponseStreamCommandInput,
	InvokeWithResponseStreamCompleteEvent,
	LambdaClient,
} from '@aws-sdk/client-lambda';

import { ResponseTooLargeError } from './bodyCollector';
import { loadLambdaSdk } from './sdk';

/** The largest response AWS Lambda streams (raised to 200 MB in 2025). */
export const STREAM_RESPONSE_LIMIT_BYTES = 200 * 1024 * 1024;

/** The connection broke after the stream began: the function ran, so the call must not be repeated. */
export class StreamCutOffError extends Error {
	override name = 'StreamCutOff';
	constructor(
		readonly receivedBytes: number,
		readonly cause: unknown,
	) {
		super(`the connection was lost after ${receivedBytes.toLocaleString('en-US')} bytes of the streamed response had arrived`);
	}
}

export interface StreamHead {
	statusCode?: number;
	executedVersion?: string;
	requestId?: string;
	contentType?: string;
}

/** What a stream consumer gets: the answer's headers, then the payload chunks as they arrive. */
export interface OpenStream extends StreamHead {
	chunks: AsyncIterable<Buffer>;
}

export interface StreamOutcome<Result> extends StreamHead {
	result: Result;
	/** The stream's final event: an error the function raised mid-stream, and the log tail. */
	complete: InvokeWithResponseStreamCompleteEvent;
	receivedBytes: number;
}

/**
 * Calls InvokeWithResponseStream and hands the payload chunks to `consume` as the SDK decodes them,
 * so nothing is held beyond what the consumer keeps. The call's signal (the Timeout, a cancelled
 * execution) covers the whole stream: aborting it closes the connection under the decoder.
 */
export async function invokeStreaming<Result>(
	client: LambdaClient,
	input: InvokeWithResponseStreamCommandInput,
	signal: AbortSignal | undefined,
	consume: (stream: OpenStream) => Promise<Result>,
	limitBytes = STREAM_RESPONSE_LIMIT_BYTES,
): Promise<StreamOutcome<Result>> {
	const { InvokeWithResponseStreamCommand } = await loadLambdaSdk();
	const stop = new AbortController();
	const abortSignal = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
	const output = await client.send(new InvokeWithResponseStreamCommand(input), { abortSignal });
	const head: StreamHead = {
		statusCode: output.StatusCode,
		executedVersion: output.ExecutedVersion,
		requestId: output.$metadata.requestId,
		contentType: output.ResponseStreamContentType,
	};
	const state = { receivedBytes: 0, complete: {} as InvokeWithResponseStreamCompleteEvent };
	async function* chunks(): AsyncGenerator<Buffer> {
		try {
			for await (const event of output.EventStream ?? []) {
				if (event.InvokeComplete) state.complete = event.InvokeComplete;
				const payload = event.PayloadChunk?.Payload;
				if (!payload || payload.length === 0) continue;
				state.receivedBytes += payload.length;
				if (state.receivedBytes > limitBytes) {
					stop.abort();
					throw new ResponseTooLargeError(state.receivedBytes, false, limitBytes);
				}
				yield Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
			}
		} catch (error) {
			throw signal?.aborted || error instanceof ResponseTooLargeError ? error : new StreamCutOffError(state.receivedBytes, error);
		}
	}
	try {
		const result = await consume({ ...head, chunks: chunks() });
		return { ...head, result, complete: state.complete, receivedBytes: state.receivedBytes };
	} catch (error) {
		// A consumer that failed before reading to the end (binary data that could not be stored) would
		// otherwise leave the function's stream flowing into an open connection until the Timeout.
		stop.abort();
		throw error;
	}
}
