import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { StreamCollector } from '@smithy/types';

/** Lambda's documented maximum for a synchronous response payload (6 MB). */
const SYNC_RESPONSE_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Room for the JSON error document AWS sends instead of a payload. */
export const ERROR_DOCUMENT_MARGIN_BYTES = 64 * 1024;
export const SYNC_RESPONSE_LIMIT_BYTES = SYNC_RESPONSE_PAYLOAD_BYTES + ERROR_DOCUMENT_MARGIN_BYTES;

/** A response body over the limit the call accepts, refused before it was held in memory. */
export class ResponseTooLargeError extends Error {
	override name = 'ResponseTooLarge';
	constructor(
		/** What the response announced (Content-Length), or, without one, the bytes received when refused. */
		readonly bytes: number,
		readonly announced: boolean,
		readonly limitBytes: number,
	) {
		super(`the response body ${announced ? 'announces' : 'grew past'} ${bytes} bytes, over the limit of ${limitBytes}`);
	}
}

/**
 * A response body collector for the SDK client that refuses bodies over `limitBytes`: one that
 * announces more is refused before any memory is set aside for it, one without a length as soon as
 * more has arrived. An announced body is written straight into one buffer of its size (the SDK's
 * own collector keeps every chunk and then copies them, so a 6 MB body briefly costs 12 MB, times
 * the concurrency). Bodies that are not Node streams go to the SDK's collector.
 */
export function limitedBodyCollector(fallback: StreamCollector, limitBytes: number): StreamCollector {
	return async (stream) => {
		if (!isNodeStream(stream)) return await fallback(stream);
		const size = announcedSize(stream);
		if (size === undefined) return await collectChunks(stream, limitBytes);
		if (size > limitBytes) {
			stream.destroy();
			throw new ResponseTooLargeError(size, true, limitBytes);
		}
		return await collectInto(stream, Buffer.allocUnsafe(size));
	};
}

function isNodeStream(stream: unknown): stream is Readable {
	return typeof (stream as Readable | undefined)?.on === 'function';
}

function announcedSize(stream: Readable): number | undefined {
	const length = Number((stream as { headers?: IncomingHttpHeaders }).headers?.['content-length']);
	return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

/** Node's HTTP parser stops a body at its Content-Length, so `target` cannot overflow; the guard says so if that ever changes. */
async function collectInto(stream: Readable, target: Buffer): Promise<Uint8Array> {
	let written = 0;
	return await collect(
		stream,
		(chunk) => {
			if (written + chunk.length > target.length) {
				return new Error(`the response body is longer than its Content-Length of ${target.length} bytes`);
			}
			written += chunk.copy(target, written);
			return undefined;
		},
		() => target.subarray(0, written),
	);
}

async function collectChunks(stream: Readable, limitBytes: number): Promise<Uint8Array> {
	const chunks: Buffer[] = [];
	let received = 0;
	return await collect(
		stream,
		(chunk) => {
			received += chunk.length;
			if (received > limitBytes) return new ResponseTooLargeError(received, false, limitBytes);
			chunks.push(chunk);
			return undefined;
		},
		() => Buffer.concat(chunks, received),
	);
}

/**
 * Feeds every chunk to `take`, which refuses one by returning an error; resolves with `result()` at
 * the end. A stream closed before its end (the call aborted at its deadline) fails as a dropped connection.
 */
async function collect(
	stream: Readable,
	take: (chunk: Buffer) => Error | undefined,
	result: () => Uint8Array,
): Promise<Uint8Array> {
	return await new Promise((resolve, reject) => {
		stream.on('data', (chunk: Buffer) => {
			const refusal = take(chunk);
			if (refusal) stream.destroy(refusal);
		});
		stream.once('end', () => resolve(result()));
		stream.once('error', reject);
		stream.once('close', () => reject(cutOff()));
	});
}

function cutOff(): Error {
	return Object.assign(new Error('the response body was cut off before its end'), { code: 'ECONNRESET' });
}
