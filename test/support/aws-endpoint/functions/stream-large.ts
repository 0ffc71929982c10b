import type { Handler } from './runtime';
import { StreamBody } from './runtime';

/** The largest response AWS streams (2025): 200 MB. */
export const STREAM_200_MB = 200 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;

/** One pseudo-random 64 KiB block (xorshift32, fixed seed), so bytes are not trivially compressible. */
const BLOCK = (() => {
	const block = Buffer.allocUnsafe(CHUNK_BYTES);
	let state = 0x9e3779b9;
	for (let offset = 0; offset < CHUNK_BYTES; offset += 4) {
		state ^= state << 13;
		state ^= state >>> 17;
		state ^= state << 5;
		block.writeUInt32LE(state >>> 0, offset);
	}
	return block;
})();

/**
 * The deterministic byte sequence of `total` bytes, generated chunk by chunk and never held whole:
 * the block with the chunk's index stamped on its first bytes, so a reordered or repeated chunk
 * changes the hash. Tests hash the same sequence to check what arrived.
 */
export function* streamedBytes(total: number): Generator<Buffer> {
	for (let index = 0, sent = 0; sent < total; index++, sent += CHUNK_BYTES) {
		const chunk = Buffer.from(BLOCK.subarray(0, Math.min(CHUNK_BYTES, total - sent)));
		const stamp = Buffer.alloc(4);
		stamp.writeUInt32BE(index, 0);
		stamp.copy(chunk, 0, 0, Math.min(stamp.length, chunk.length));
		yield chunk;
	}
}

/** Streams `event.bytes` (default 200 MB) of that sequence. */
export const handler: Handler = (event) => {
	const total = Number((event as { bytes?: number } | null)?.bytes ?? STREAM_200_MB);
	async function* chunks() {
		yield* streamedBytes(total);
	}
	return new StreamBody(chunks());
};
