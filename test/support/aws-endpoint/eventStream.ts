/**
 * The `application/vnd.amazon.eventstream` framing, written from AWS's documented format rather than
 * taken from the SDK's codec, so that a decoding mistake on either side fails a test:
 *
 *   total length (u32) | headers length (u32) | prelude CRC32 | headers | payload | message CRC32
 *
 * Each header is name length (u8), name, value type (u8; 7 = string), value length (u16), value.
 */
import { crc32 } from 'node:zlib';

const PRELUDE_BYTES = 8;
const CRC_BYTES = 4;
const STRING_TYPE = 7;

export type FrameHeaders = Record<string, string>;

export interface Frame {
	headers: FrameHeaders;
	payload: Buffer;
}

export function encodeFrame(headers: FrameHeaders, payload: Buffer): Buffer {
	const headerBytes = encodeHeaders(headers);
	const total = PRELUDE_BYTES + CRC_BYTES + headerBytes.length + payload.length + CRC_BYTES;
	const frame = Buffer.allocUnsafe(total);
	frame.writeUInt32BE(total, 0);
	frame.writeUInt32BE(headerBytes.length, 4);
	frame.writeUInt32BE(crc32(frame.subarray(0, PRELUDE_BYTES)), PRELUDE_BYTES);
	headerBytes.copy(frame, PRELUDE_BYTES + CRC_BYTES);
	payload.copy(frame, PRELUDE_BYTES + CRC_BYTES + headerBytes.length);
	frame.writeUInt32BE(crc32(frame.subarray(0, total - CRC_BYTES)), total - CRC_BYTES);
	return frame;
}

function encodeHeaders(headers: FrameHeaders): Buffer {
	return Buffer.concat(
		Object.entries(headers).map(([name, value]) => {
			const nameBytes = Buffer.from(name, 'utf8');
			const valueBytes = Buffer.from(value, 'utf8');
			const header = Buffer.allocUnsafe(1 + nameBytes.length + 1 + 2 + valueBytes.length);
			header.writeUInt8(nameBytes.length, 0);
			nameBytes.copy(header, 1);
			header.writeUInt8(STRING_TYPE, 1 + nameBytes.length);
			header.writeUInt16BE(valueBytes.length, 2 + nameBytes.length);
			valueBytes.copy(header, 4 + nameBytes.length);
			return header;
		}),
	);
}

/** An event as Lambda frames it: the SDK picks the union member by `:event-type`. */
export function encodeEvent(eventType: string, contentType: string, payload: Buffer): Buffer {
	return encodeFrame({ ':event-type': eventType, ':content-type': contentType, ':message-type': 'event' }, payload);
}

/** The inverse of encodeFrame, for testing the encoder itself; checks both CRC32s. */
export function decodeFrames(bytes: Buffer): Frame[] {
	const frames: Frame[] = [];
	for (let offset = 0; offset < bytes.length; ) {
		const total = bytes.readUInt32BE(offset);
		const frame = bytes.subarray(offset, offset + total);
		if (frame.readUInt32BE(PRELUDE_BYTES) !== crc32(frame.subarray(0, PRELUDE_BYTES))) throw new Error(`prelude CRC32 mismatch at byte ${offset}`);
		if (frame.readUInt32BE(total - CRC_BYTES) !== crc32(frame.subarray(0, total - CRC_BYTES))) throw new Error(`message CRC32 mismatch at byte ${offset}`);
		const headersEnd = PRELUDE_BYTES + CRC_BYTES + frame.readUInt32BE(4);
		frames.push({ headers: decodeHeaders(frame.subarray(PRELUDE_BYTES + CRC_BYTES, headersEnd)), payload: Buffer.from(frame.subarray(headersEnd, total - CRC_BYTES)) });
		offset += total;
	}
	return frames;
}

function decodeHeaders(bytes: Buffer): FrameHeaders {
	const headers: FrameHeaders = {};
	for (let offset = 0; offset < bytes.length; ) {
		const nameLength = bytes.readUInt8(offset);
		const name = bytes.toString('utf8', offset + 1, offset + 1 + nameLength);
		const type = bytes.readUInt8(offset + 1 + nameLength);
		if (type !== STRING_TYPE) throw new Error(`header ${name} has type ${type}; only strings (7) are written here`);
		const valueLength = bytes.readUInt16BE(offset + 2 + nameLength);
		headers[name] = bytes.toString('utf8', offset + 4 + nameLength, offset + 4 + nameLength + valueLength);
		offset += 4 + nameLength + valueLength;
	}
	return headers;
}
