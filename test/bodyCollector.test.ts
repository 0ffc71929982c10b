/**
 * The pre-sized body collector on real HTTP responses from a loopback server: announced bodies go
 * into one buffer, chunked ones (a proxy or emulator may send them) to the SDK's own collector.
 */
import { createServer, get } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { LambdaClient } from '@aws-sdk/client-lambda';

import { presizedBodyCollector } from '../nodes/AwsLambda/transport/bodyCollector';

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

describe('presizedBodyCollector', () => {
	it('collects an announced body itself, whole', async () => {
		const fallback = sdkCollector();
		const collected = await presizedBodyCollector(fallback)(await response('/announced'));
		expect(Buffer.from(collected).equals(body)).toBe(true);
		expect(fallback).not.toHaveBeenCalled();
	});

	it('hands a chunked body to the SDK collector, which collects it whole', async () => {
		const fallback = sdkCollector();
		const collected = await presizedBodyCollector(fallback)(await response('/chunked'));
		expect(Buffer.from(collected).equals(body)).toBe(true);
		expect(fallback).toHaveBeenCalledTimes(1);
	});

	it('fails instead of truncating a body longer than announced', async () => {
		const lying = Object.assign(Readable.from([Buffer.from('12345')]), { headers: { 'content-length': '3' } });
		await expect(presizedBodyCollector(sdkCollector())(lying)).rejects.toThrow(/longer than its Content-Length of 3 bytes/);
	});
});
