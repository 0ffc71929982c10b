/**
 * The local endpoint's InvokeWithResponseStream, decoded by the real SDK client: the event-stream
 * encoder is written from AWS's documented framing, so a mistake on either side shows up here.
 */
import { createHash } from 'node:crypto';

import type { InvokeWithResponseStreamCommandOutput, InvokeWithResponseStreamCompleteEvent } from '@aws-sdk/client-lambda';
import { InvokeCommand, InvokeWithResponseStreamCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';

import { DEFAULT_KEY, LocalAws } from './support/aws-endpoint';
import { decodeFrames, encodeFrame } from './support/aws-endpoint/eventStream';
import { STREAM_200_MB, streamedBytes } from './support/aws-endpoint/functions/stream-large';

let aws: LocalAws;
const clients: LambdaClient[] = [];

beforeAll(async () => {
	aws = await LocalAws.start({ quiet: true });
});
afterAll(async () => {
	for (const client of clients) client.destroy();
	await aws.stop();
});
beforeEach(() => {
	aws.clearLog();
	aws.faults.reset();
});

function lambda(maxAttempts = 1) {
	const client = new LambdaClient({ region: 'us-east-1', endpoint: aws.url, credentials: DEFAULT_KEY, maxAttempts });
	clients.push(client);
	return client;
}

interface Drained {
	chunks: number;
	bytes: number;
	sha256: string;
	text: string;
	complete?: InvokeWithResponseStreamCompleteEvent;
}

/** Reads the whole event stream as an SDK user would; keeps text only for small streams. */
async function drain(output: InvokeWithResponseStreamCommandOutput, keepText = true): Promise<Drained> {
	const hash = createHash('sha256');
	const drained: Drained = { chunks: 0, bytes: 0, sha256: '', text: '' };
	for await (const event of output.EventStream ?? []) {
		if (event.PayloadChunk?.Payload) {
			drained.chunks++;
			drained.bytes += event.PayloadChunk.Payload.length;
			hash.update(event.PayloadChunk.Payload);
			if (keepText) drained.text += Buffer.from(event.PayloadChunk.Payload).toString('utf8');
		}
		if (event.InvokeComplete) drained.complete = event.InvokeComplete;
	}
	drained.sha256 = hash.digest('hex');
	return drained;
}

const stream = async (input: ConstructorParameters<typeof InvokeWithResponseStreamCommand>[0], client = lambda()) =>
	await client.send(new InvokeWithResponseStreamCommand(input));

describe('event-stream framing', () => {
	it('writes the prelude, typed string headers, payload and both CRC32s as AWS documents', () => {
		const frame = encodeFrame({ ':event-type': 'PayloadChunk', ':message-type': 'event' }, Buffer.from('hi'));
		const headerBytes = 1 + 11 + 1 + 2 + 12 + (1 + 13 + 1 + 2 + 5);
		expect(frame.readUInt32BE(0)).toBe(frame.length);
		expect(frame.readUInt32BE(4)).toBe(headerBytes);
		expect(frame.length).toBe(12 + headerBytes + 2 + 4);
		expect(frame[12]).toBe(':event-type'.length);
		expect(frame[12 + 1 + 11]).toBe(7);
		expect(frame.subarray(frame.length - 6, frame.length - 4).toString()).toBe('hi');
	});

	it('reads back what it wrote and refuses a frame with a flipped bit', () => {
		const frame = encodeFrame({ ':message-type': 'event', ':event-type': 'InvokeComplete' }, Buffer.from('{}'));
		expect(decodeFrames(frame)).toEqual([{ headers: { ':message-type': 'event', ':event-type': 'InvokeComplete' }, payload: Buffer.from('{}') }]);
		const corrupt = Buffer.from(frame);
		corrupt[corrupt.length - 5] ^= 1;
		expect(() => decodeFrames(corrupt)).toThrow(/message CRC32/);
	});
});

describe('InvokeWithResponseStream through the real SDK client', () => {
	it('streams many chunks with delays, then InvokeComplete with the log tail', async () => {
		const output = await stream({ FunctionName: 'stream-chunks', Payload: '{"chunks":12,"delayMs":5}', LogType: 'Tail' });
		expect(output).toMatchObject({ StatusCode: 200, ExecutedVersion: '$LATEST', ResponseStreamContentType: 'application/octet-stream' });
		const drained = await drain(output);
		expect(drained.chunks).toBe(12);
		expect(drained.text).toBe(Array.from({ length: 12 }, (_, i) => `chunk ${i}\n`).join(''));
		expect(drained.complete?.ErrorCode).toBeUndefined();
		expect(Buffer.from(drained.complete?.LogResult ?? '', 'base64').toString()).toMatch(/streamed 12 chunks/);
		expect(aws.log).toMatchObject([{ action: 'InvokeWithResponseStream', functionName: 'stream-chunks', status: 200, signatureValid: true, streamedBytes: drained.bytes }]);
	});

	it('delivers the first chunk while the function still runs', async () => {
		const output = await stream({ FunctionName: 'stream-chunks', Payload: '{"chunks":3,"delayMs":400}' });
		const iterator = (output.EventStream as AsyncIterable<{ PayloadChunk?: { Payload?: Uint8Array } }>)[Symbol.asyncIterator]();
		const first = await iterator.next();
		expect(Buffer.from(first.value?.PayloadChunk?.Payload ?? []).toString()).toBe('chunk 0\n');
		expect(aws.log).toHaveLength(0);
		while (!(await iterator.next()).done);
		expect(aws.log).toHaveLength(1);
	});

	it('streams a buffered function as one chunk with its JSON content type', async () => {
		const drained = await drain(await stream({ FunctionName: 'echo', Payload: '{"a":1}' }));
		expect(drained.chunks).toBe(1);
		expect(JSON.parse(drained.text).event).toEqual({ a: 1 });
	});

	it('reports the stream content type a function set', async () => {
		const output = await stream({ FunctionName: 'stream-csv' });
		expect(output.ResponseStreamContentType).toBe('text/csv; charset=utf-8');
		expect((await drain(output)).text).toMatch(/^id,name\n1,/);
	});

	it('reports an error raised mid-stream in InvokeComplete after the chunks sent so far', async () => {
		const drained = await drain(await stream({ FunctionName: 'stream-fail', Payload: '{"chunks":3}' }));
		expect(drained.text).toBe('part 0\npart 1\npart 2\n');
		expect(drained.complete?.ErrorCode).toBe('StreamBroken');
		expect(JSON.parse(drained.complete?.ErrorDetails ?? '{}')).toMatchObject({ errorType: 'StreamBroken', errorMessage: 'upstream went away after 3 parts' });
	});

	it('answers DryRun with 204 and no events, and refuses Event as the API model does', async () => {
		const dry = await stream({ FunctionName: 'stream-chunks', InvocationType: 'DryRun' });
		expect(dry.StatusCode).toBe(204);
		await expect(stream({ FunctionName: 'stream-chunks', InvocationType: 'Event' as 'DryRun' })).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
	});

	it('streams 200 MB of deterministic bytes that hash as the generator says, signed and logged', async () => {
		const drained = await drain(await stream({ FunctionName: 'stream-large' }), false);
		const expected = createHash('sha256');
		for (const chunk of streamedBytes(STREAM_200_MB)) expected.update(chunk);
		expect(drained.bytes).toBe(STREAM_200_MB);
		expect(drained.sha256).toBe(expected.digest('hex'));
	}, 120_000);

	it('streams fewer bytes when the event asks, from the same sequence', async () => {
		const drained = await drain(await stream({ FunctionName: 'stream-large', Payload: '{"bytes":100000}' }), false);
		const expected = createHash('sha256');
		for (const chunk of streamedBytes(100_000)) expected.update(chunk);
		expect([drained.bytes, drained.sha256]).toEqual([100_000, expected.digest('hex')]);
	});

	it('drops the connection mid-stream after the given bytes when the knob says so', async () => {
		aws.faults.dropStream(1, { afterBytes: 4096 });
		const output = await stream({ FunctionName: 'stream-large', Payload: '{"bytes":1000000}' });
		let received = 0;
		const read = async () => {
			for await (const event of output.EventStream ?? []) received += event.PayloadChunk?.Payload?.length ?? 0;
		};
		await expect(read()).rejects.toThrow();
		expect(received).toBeGreaterThanOrEqual(4096);
		expect(received).toBeLessThan(1_000_000);
		expect(aws.log).toMatchObject([{ action: 'InvokeWithResponseStream', fault: 'dropStream', functionName: 'stream-large' }]);
	});
});

describe('tenant isolation', () => {
	it('runs a tenant-isolated function per tenant and records the tenant on both Invoke paths', async () => {
		const first = await lambda().send(new InvokeCommand({ FunctionName: 'tenant-isolated', TenantId: 'blue', Payload: '{}' }));
		const again = await drain(await stream({ FunctionName: 'tenant-isolated', TenantId: 'blue', Payload: '{}' }));
		const other = await lambda().send(new InvokeCommand({ FunctionName: 'tenant-isolated', TenantId: 'green', Payload: '{}' }));
		expect(JSON.parse(Buffer.from(first.Payload ?? []).toString())).toMatchObject({ tenantId: 'blue', callsInThisEnvironment: 1 });
		expect(JSON.parse(again.text)).toMatchObject({ tenantId: 'blue', callsInThisEnvironment: 2 });
		expect(JSON.parse(Buffer.from(other.Payload ?? []).toString())).toMatchObject({ tenantId: 'green', callsInThisEnvironment: 1 });
		expect(aws.log.map((entry) => entry.tenantId)).toEqual(['blue', 'blue', 'green']);
	});

	it('refuses a tenant-isolated function called without a Tenant ID, and a Tenant ID for a function without isolation', async () => {
		const missing = lambda().send(new InvokeCommand({ FunctionName: 'tenant-isolated' }));
		await expect(missing).rejects.toMatchObject({ name: 'InvalidParameterValueException', message: expect.stringMatching(/tenant isolation.*Add a tenant ID/i) });
		const needless = stream({ FunctionName: 'echo', TenantId: 'blue' });
		await expect(needless).rejects.toMatchObject({ name: 'InvalidParameterValueException', message: expect.stringMatching(/not.*tenant isolation.*remove the tenant ID/i) });
	});

	it('lists the function with its TenancyConfig', async () => {
		const listed = await lambda().send(new ListFunctionsCommand({}));
		const tenant = listed.Functions?.find((fn) => fn.FunctionName === 'tenant-isolated');
		expect(tenant?.TenancyConfig).toEqual({ TenantIsolationMode: 'PER_TENANT' });
		expect(listed.Functions?.find((fn) => fn.FunctionName === 'echo')?.TenancyConfig).toBeUndefined();
	});
});

describe('$LATEST.PUBLISHED', () => {
	it('runs the newest published version, from the name or the Qualifier, on both paths', async () => {
		const named = await lambda().send(new InvokeCommand({ FunctionName: 'echo:$LATEST.PUBLISHED' }));
		const qualified = await stream({ FunctionName: 'echo', Qualifier: '$LATEST.PUBLISHED' });
		expect([named.ExecutedVersion, qualified.ExecutedVersion]).toEqual(['2', '2']);
		await drain(qualified);
		expect(aws.log.map((entry) => entry.qualifier)).toEqual(['$LATEST.PUBLISHED', '$LATEST.PUBLISHED']);
	});

	it('refuses it for a function with no published version', async () => {
		await expect(lambda().send(new InvokeCommand({ FunctionName: 'text', Qualifier: '$LATEST.PUBLISHED' }))).rejects.toMatchObject({
			name: 'NoPublishedVersionException',
		});
	});
});
