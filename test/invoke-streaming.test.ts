/**
 * Invoke's Stream Response, Tenant ID and $LATEST.PUBLISHED in n8n's engine, against the local
 * endpoint's InvokeWithResponseStream (its own event-stream encoder, decoded by the real SDK).
 */
import { createHash } from 'node:crypto';
import type { IBinaryData, IDataObject } from 'n8n-workflow';

import type { LocalAws } from './support/aws-endpoint';
import { DEFAULT_KEY } from './support/aws-endpoint';
import { STREAM_200_MB, streamedBytes } from './support/aws-endpoint/functions/stream-large';
import type { FilesystemBinaryData } from './support/binaryData';
import { useFilesystemBinaryData } from './support/binaryData';
import { everythingVisible, invokeParameters, runLambda, useLocalAws } from './support/lambda-node';

let aws: LocalAws;
useLocalAws({}, (server) => {
	aws = server;
});

let binaryData: FilesystemBinaryData;
beforeAll(async () => {
	binaryData = await useFilesystemBinaryData();
});
afterAll(async () => {
	await binaryData.restore();
});

const streamed = () => aws.log.filter((entry) => entry.action === 'InvokeWithResponseStream');

function streaming(functionName: string, options: IDataObject = {}, extra: IDataObject = {}) {
	return invokeParameters(functionName, { options: { responseStreaming: true, ...options }, ...extra });
}

function sha256Of(chunks: Iterable<Buffer>): string {
	const hash = createHash('sha256');
	for (const chunk of chunks) hash.update(chunk);
	return hash.digest('hex');
}

async function storedHash(binary: IBinaryData): Promise<string> {
	const hash = createHash('sha256');
	for await (const chunk of await binaryData.service.getAsStream(binary.id as string)) hash.update(chunk as Buffer);
	return hash.digest('hex');
}

describe('Stream Response into binary data (filesystem mode)', () => {
	it('writes 200 MB streamed by the function to a binary file whose hash matches what it sent', async () => {
		const result = await runLambda(aws, { parameters: streaming('stream-large', { responseFormat: 'binary' }) });
		expect(result.error).toBeUndefined();
		const [item] = result.items;
		expect(item.json).toMatchObject({ statusCode: 200, executedVersion: '$LATEST', responseStreamContentType: 'application/octet-stream', payload: null });
		expect(typeof item.json.requestId).toBe('string');
		const binary = item.binary?.data as IBinaryData;
		expect(binary.id).toMatch(/^filesystem(-v2)?:/);
		expect(binary.mimeType).toBe('application/octet-stream');
		expect(binary.bytes).toBe(STREAM_200_MB);
		expect(await storedHash(binary)).toBe(sha256Of(streamedBytes(STREAM_200_MB)));
		expect(streamed()).toMatchObject([{ functionName: 'stream-large', streamedBytes: STREAM_200_MB }]);
	}, 120_000);

	it('gives the file the stream content type the function set', async () => {
		const result = await runLambda(aws, { parameters: streaming('stream-csv', { responseFormat: 'binary', binaryPropertyName: 'csv' }) });
		const binary = result.items[0].binary?.csv as IBinaryData;
		expect(binary.mimeType).toBe('text/csv; charset=utf-8');
		expect((await binaryData.service.getAsBuffer(binary)).toString()).toBe('id,name\n1,row 1\n2,row 2\n3,row 3\n');
	});

	it('reports an error the function raised mid-stream as a function error, with the logs and no binary', async () => {
		const result = await runLambda(aws, { parameters: streaming('stream-fail', { responseFormat: 'binary', includeLogs: true }, { payload: '{"chunks":50}' }) });
		expect(result.error?.message).toBe('Function stream-fail failed (item 0): StreamBroken: upstream went away after 50 parts');
		expect(result.error?.description).toMatch(/stream's final event/);
		expect(JSON.stringify(result.error?.raw)).toMatch(/START RequestId/);
		expect(result.items).toEqual([]);
	});

	it('with Continue On Fail, a mid-stream function error is that item\'s error item', async () => {
		const result = await runLambda(aws, {
			parameters: streaming('stream-fail', { responseFormat: 'binary' }),
			continueOnFail: true,
		});
		expect(result.items[0].json).toMatchObject({ errorType: 'StreamBroken', errorMessage: 'upstream went away after 3 parts', functionError: 'StreamBroken' });
		expect(result.items[0].binary).toBeUndefined();
	});
});

describe('Stream Response collected (Auto, JSON, Text)', () => {
	it('collects the chunks and decodes them as the Response Format says', async () => {
		const text = await runLambda(aws, { parameters: streaming('stream-chunks', { responseFormat: 'text' }, { payload: '{"chunks":4,"delayMs":1}' }) });
		expect(text.items[0].json).toMatchObject({ payload: 'chunk 0\nchunk 1\nchunk 2\nchunk 3\n', responseStreamContentType: 'application/octet-stream' });
		const auto = await runLambda(aws, { parameters: streaming('echo', {}, { payload: '{"a":1}' }) });
		expect((auto.items[0].json.payload as IDataObject).event).toEqual({ a: 1 });
		const csv = await runLambda(aws, { parameters: streaming('stream-csv') });
		expect(csv.items[0].json.payload).toBe('id,name\n1,row 1\n2,row 2\n3,row 3\n');
		const json = await runLambda(aws, { parameters: streaming('stream-csv', { responseFormat: 'json' }) });
		expect(json.error?.message).toMatch(/Invoke stream-csv \(item 0\): the response is not valid JSON/);
	});

	it('with Auto, returns a stream whose content type names a binary type as a file, though its bytes are text', async () => {
		const result = await runLambda(aws, { parameters: streaming('stream-csv', {}, { payload: '{"contentType":"image/png"}' }) });
		expect(result.items[0].json).toMatchObject({ payload: null, responseStreamContentType: 'image/png' });
		expect((result.items[0].binary?.data as IBinaryData).mimeType).toBe('image/png');
	});

	it('returns the log tail from the stream\'s final event', async () => {
		const result = await runLambda(aws, { parameters: streaming('stream-chunks', { includeLogs: true }, { payload: '{"chunks":2,"delayMs":1}' }) });
		expect(result.items[0].json.logs).toMatch(/streamed 2 chunks/);
	});

	it('answers Dry Run with 204 and no payload', async () => {
		const result = await runLambda(aws, { parameters: streaming('stream-chunks', {}, { invocationType: 'DryRun' }) });
		expect(result.items[0].json).toMatchObject({ statusCode: 204, payload: null });
	});

	it('refuses Stream Response with Event before anything is sent', async () => {
		const result = await runLambda(aws, { parameters: streaming('stream-chunks', {}, { invocationType: 'Event' }) });
		expect(result.error?.message).toMatch(/Stream Response.*Event/);
		expect(result.error?.description).toMatch(/Request Response or Dry Run/);
		expect(aws.log).toHaveLength(0);
	});
});

describe('Stream Response failures', () => {
	it('never retries a connection lost mid-stream, and says how many bytes had arrived', async () => {
		aws.faults.dropStream(1, { afterBytes: 300_000 });
		const result = await runLambda(aws, { parameters: streaming('stream-large', { responseFormat: 'binary', maxAttempts: 3 }, { payload: '{"bytes":5000000}' }) });
		expect(result.error?.message).toMatch(/Invoke stream-large failed \(item 0\): the connection was lost after [\d,]+ bytes of the streamed response had arrived/);
		const arrived = Number(/after ([\d,]+) bytes/.exec(result.error?.message ?? '')?.[1].replace(/,/g, ''));
		expect(arrived).toBeGreaterThanOrEqual(300_000);
		expect(arrived).toBeLessThan(5_000_000);
		expect(result.error?.description).toMatch(/not retried/);
		expect(streamed()).toHaveLength(1);
	});

	it('stops reading and closes a stream that grows past 200 MB', async () => {
		const sent = STREAM_200_MB + 50 * 1024 * 1024;
		const result = await runLambda(aws, { parameters: streaming('stream-large', { responseFormat: 'binary' }, { payload: `{"bytes":${sent}}` }) });
		expect(result.error?.message).toMatch(/grew past 200\.\d MB \([\d,]+ bytes\), over the 200\.0 MB/);
		const read = Number(/grew past [\d.]+ MB \(([\d,]+) bytes\)/.exec(result.error?.message ?? '')?.[1].replace(/,/g, ''));
		expect(read).toBeGreaterThan(STREAM_200_MB);
		expect(read).toBeLessThanOrEqual(STREAM_200_MB + 64 * 1024);
		expect(streamed()[0].streamedBytes).toBeLessThan(sent);
	}, 120_000);

	it('closes the stream of an item whose binary data could not be stored, freeing its connection', async () => {
		const store = binaryData.service.store.bind(binaryData.service);
		let stores = 0;
		binaryData.service.store = async (...args) => {
			if (stores++ === 0) throw new Error('ENOSPC: no space left on device');
			return await store(...args);
		};
		try {
			// One connection for both items: the second gets it only once the first stream is closed.
			const result = await runLambda(aws, {
				parameters: streaming('stream-chunks', { responseFormat: 'binary', concurrency: 1 }, { payload: '{"chunks":40,"delayMs":100}' }),
				items: [{}, {}],
				continueOnFail: true,
			});
			expect(result.items[0].json.error).toMatch(/no space left on device/);
			expect(result.items[1].binary?.data).toBeDefined();
		} finally {
			binaryData.service.store = store;
		}
		const wholeStream = 10 * 'chunk 0\n'.length + 30 * 'chunk 10\n'.length;
		// Log entries are written as streams end: the failed item's first, cut short.
		expect(streamed().map((entry) => entry.streamedBytes! < wholeStream)).toEqual([true, false]);
	});

	it('counts the whole stream against the Timeout', async () => {
		const result = await runLambda(aws, { parameters: streaming('stream-chunks', { timeout: 1 }, { payload: '{"chunks":40,"delayMs":100}' }) });
		expect(result.error?.message).toMatch(/within the Timeout of 1 seconds/);
	});

	it('shows no secret in errors of the streaming path, even one the function puts in its ErrorCode', async () => {
		// The secret comes in with the item (the user's own data), so it is not in the node's parameters.
		const items = [{ errorType: `Leaked${DEFAULT_KEY.secretAccessKey}` }];
		const result = await runLambda(aws, { parameters: streaming('stream-fail', { includeLogs: true, sendInputItem: true }), items });
		expect(result.error?.message).toMatch(/Leaked\[redacted\]/);
		expect(everythingVisible(result, items)).not.toContain(DEFAULT_KEY.secretAccessKey);
		const continued = await runLambda(aws, { parameters: streaming('stream-fail', { sendInputItem: true }), items, continueOnFail: true });
		expect(continued.items[0].json.functionError).toBe('Leaked[redacted]');
		expect(everythingVisible(continued, items)).not.toContain(DEFAULT_KEY.secretAccessKey);
	});
});

describe('Tenant ID', () => {
	const customers = Array.from({ length: 30 }, (_, i) => ({ customer: `tenant-${i % 7}`, order: i }));

	it.each([false, true])('sends each item\'s Tenant ID at concurrency 10 to the right tenant (streaming %s)', async (responseStreaming) => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('tenant-isolated', {
				options: { tenantId: '={{ $json.customer }}', sendInputItem: true, concurrency: 10, responseStreaming },
			}),
			items: customers,
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => (item.json.payload as IDataObject).tenantId)).toEqual(customers.map((c) => c.customer));
		const calls = aws.log.filter((entry) => entry.functionName === 'tenant-isolated');
		expect(calls).toHaveLength(30);
		for (const call of calls) expect(call.tenantId).toBe(JSON.parse(call.payload ?? '{}').customer);
	});

	it('refuses a Tenant ID over 256 characters before anything is sent', async () => {
		const result = await runLambda(aws, { parameters: invokeParameters('tenant-isolated', { options: { tenantId: 'x'.repeat(257) } }) });
		expect(result.error?.message).toMatch(/Tenant ID/);
		expect(result.error?.description).toMatch(/1.256 characters/);
		expect(aws.log).toHaveLength(0);
	});

	it('refuses a Tenant ID that an HTTP header cannot carry before anything is sent', async () => {
		const result = await runLambda(aws, { parameters: invokeParameters('tenant-isolated', { options: { tenantId: 'blue\nX-Injected: 1' } }), continueOnFail: true });
		expect(result.items[0].json.error).toMatch(/Tenant ID \(item 0\): contains a character/);
		expect(aws.log).toHaveLength(0);
	});

	it('says which tenancy mistake AWS refused', async () => {
		const missing = await runLambda(aws, { parameters: invokeParameters('tenant-isolated') });
		expect(missing.error?.message).toMatch(/tenant isolation/);
		expect(missing.error?.description).toMatch(/Set the option Tenant ID/);
		const needless = await runLambda(aws, { parameters: streaming('echo', { tenantId: 'blue' }) });
		expect(needless.error?.message).toMatch(/does not have tenant isolation/);
		expect(needless.error?.description).toMatch(/Remove the Tenant ID/);
	});
});

describe('$LATEST.PUBLISHED', () => {
	it('is accepted in the name and in the Qualifier option, on both Invoke paths', async () => {
		const named = await runLambda(aws, { parameters: invokeParameters('echo:$LATEST.PUBLISHED') });
		const qualified = await runLambda(aws, { parameters: streaming('echo', { qualifier: '$LATEST.PUBLISHED' }) });
		expect(named.error).toBeUndefined();
		expect([named.items[0].json.executedVersion, qualified.items[0].json.executedVersion]).toEqual(['2', '2']);
		expect(aws.log.map((entry) => entry.qualifier)).toEqual(['$LATEST.PUBLISHED', '$LATEST.PUBLISHED']);
	});

	it('says what to do when the function has no published version', async () => {
		const result = await runLambda(aws, { parameters: invokeParameters('text', { options: { qualifier: '$LATEST.PUBLISHED' } }) });
		expect(result.error?.message).toMatch(/no published version/);
		expect(result.error?.description).toMatch(/Publish a version/);
	});
});
