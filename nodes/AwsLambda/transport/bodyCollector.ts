import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { StreamCollector } from '@smithy/types';

/**
 * A response body collector for the SDK client that writes the body straight into one buffer of
 * the size the response announces. The SDK's own collector keeps every chunk and then copies them
 * into a new array, so a 6 MB Invoke response briefly costs 12 MB, times the concurrency.
 * Bodies without a usable Content-Length (or not a Node stream) go to the SDK's collector.
 */
export function presizedBodyCollector(fallback: StreamCollector): StreamCollector {
	return async (stream) => {
		const size = announcedSize(stream);
		if (size === undefined) return await fallback(stream);
		return await collectInto(stream as Readable, Buffer.allocUnsafe(size));
	};
}

function announcedSize(stream: unknown): number | undefined {
	const headers = (stream as { headers?: IncomingHttpHeaders } | undefined)?.headers;
	const length = Number(headers?.['content-length']);
	const isReadable = typeof (stream as Readable | undefined)?.on === 'function';
	return isReadable && Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

/** Node's HTTP parser stops a body at its Content-Length, so `target` cannot overflow; the guard says so if that ever changes. */
async function collectInto(stream: Readable, target: Buffer): Promise<Uint8Array> {
	return await new Promise((resolve, reject) => {
		let written = 0;
		stream.on('data', (chunk: Buffer) => {
			if (written + chunk.length > target.length) {
				stream.destroy(new Error(`the response body is longer than its Content-Length of ${target.length} bytes`));
				return;
			}
			written += chunk.copy(target, written);
		});
		stream.once('end', () => resolve(target.subarray(0, written)));
		stream.once('error', reject);
	});
}
