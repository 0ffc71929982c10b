/**
 * The body collector on real HTTP responses from a loopback server: announced bodies go into one
 * buffer of their size, chunked ones (a proxy or emulator may send them) are collected chunk by chunk,
 * and either kind over the limit is refused — an announced one before any memory is set aside.
 */
import { createServer, get } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { LambdaClient } from '@aws-sdk/client-lambda';

import { limitedBodyCollector, ResponseTooLargeError } from '../nodes/AwsLambda/transport/bodyCollector';

const body = Buffer.from('{"answer":42,"padding":"' + 'p'.repeat(200_000) + '"}');
let server: Server;
let url: string;

beforeAll(async () => {
	server = createServer((req, res) => {
		const chunked = req.url === '/chunked';
		res.writeHead(200, chunked ? {} : { 'Content-Length': String(body.length) });
		// Several writes, so the body arrives in more than one chunk either way.
		for (let offset = 0; offset < body.length; offset += 50_000) res.write(body.subarray(offset, offset + 50_000));
		res.end();
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => await new Promise((resolve) => server.close(resolve)));

const response = async (path: string) => await new Promise<IncomingMessage>((resolve, reject) => get(`${url}${path}`, resolve).on('error', reject));

function sdkCollector() {
	const client = new LambdaClient({ region: 'us-east-1' });
	const collector = client.config.streamCollector;
	client.destroy();
	return jest.fn(collector);
}

const ROOMY = 10 * 1024 * 1024;

describe('limitedBodyCollector', () => {
	it('collects an announced body itself, whole', async () => {
		const fallback = sdkCollector();
		const collected = await limitedBodyCollector(fallback, ROOMY)(await response('/announced'));
		expect(Buffer.from(collected).equals(body)).toBe(true);
		expect(fallback).not.toHaveBeenCalled();
	});

	it('collects a chunked body whole', async () => {
		const collected = await limitedBodyCollector(sdkCollector(), ROOMY)(await response('/chunked'));
		expect(Buffer.from(collected).equals(body)).toBe(true);
	});

	it('hands a body that is not a Node stream to the SDK collector', async () => {
		const fallback = sdkCollector();
		const collected = await limitedBodyCollector(fallback, ROOMY)(new Blob([body]) as never);
		expect(Buffer.from(collected).equals(body)).toBe(true);
		expect(fallback).toHaveBeenCalledTimes(1);
	});

	it('accepts a body of exactly the limit, announced or chunked', async () => {
		const exact = limitedBodyCollector(sdkCollector(), body.length);
		expect(Buffer.from(await exact(await response('/announced'))).equals(body)).toBe(true);
		expect(Buffer.from(await exact(await response('/chunked'))).equals(body)).toBe(true);
	});

	it('fails, and does not wait forever, when the body stream closes before its end without an error', async () => {
		const stream = Object.assign(new Readable({ read: () => undefined }), { headers: { 'content-length': '10' } });
		const collected = limitedBodyCollector(sdkCollector(), ROOMY)(stream);
		stream.push(Buffer.from('12345'));
		stream.destroy();
		await expect(collected).rejects.toMatchObject({ message: 'the response body was cut off before its end', code: 'ECONNRESET' });
	}, 5_000);

	it('fails instead of truncating a body longer than announced', async () => {
		const lying = Object.assign(Readable.from([Buffer.from('12345')]), { headers: { 'content-length': '3' } });
		await expect(limitedBodyCollector(sdkCollector(), ROOMY)(lying)).rejects.toThrow(/longer than its Content-Length of 3 bytes/);
	});

	it('refuses an announced body over the limit before allocating it', async () => {
		const huge = Object.assign(Readable.from([Buffer.from('{"a":')]), { headers: { 'content-length': '3900000000' } });
		const before = process.memoryUsage().arrayBuffers;
		const refusal = await limitedBodyCollector(sdkCollector(), ROOMY)(huge).catch((error: unknown) => error);
		expect(refusal).toBeInstanceOf(ResponseTooLargeError);
		expect(refusal).toMatchObject({
			name: 'ResponseTooLarge',
			message: `the response body announces 3900000000 bytes, over the limit of ${ROOMY}`,
			bytes: 3_900_000_000,
			announced: true,
			limitBytes: ROOMY,
		});
		expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(100 * 1024 * 1024);
		expect(huge.destroyed).toBe(true);
	});

	it('refuses a chunked body as soon as more than the limit has arrived', async () => {
		const stream = await response('/chunked');
		const refusal = await limitedBodyCollector(sdkCollector(), 120_000)(stream).catch((error: unknown) => error);
		expect(refusal).toBeInstanceOf(ResponseTooLargeError);
		expect(refusal).toMatchObject({ announced: false, limitBytes: 120_000 });
		expect((refusal as Error).message).toMatch(/^the response body grew past \d+ bytes, over the limit of 120000$/);
		// Refused at the first chunk past the limit, not after the whole body.
		expect((refusal as ResponseTooLargeError).bytes).toBeLessThan(body.length);
		expect(stream.destroyed).toBe(true);
	});
});
