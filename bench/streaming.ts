/**
 * Stream Response figures for `npm run bench`: memory while streaming 200 MB into binary data
 * (filesystem mode), throughput against a plain SDK loop reading the same stream, and how soon the
 * node has the first byte after the function sent it.
 */
import { fork } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { InvokeWithResponseStreamCommand, LambdaClient } from '@aws-sdk/client-lambda';

import type { LocalAws } from '../test/support/aws-endpoint';
import { DEFAULT_KEY } from '../test/support/aws-endpoint';
import { STREAM_200_MB } from '../test/support/aws-endpoint/functions/stream-large';
import type { FilesystemBinaryData } from '../test/support/binaryData';
import { useFilesystemBinaryData } from '../test/support/binaryData';
import { invokeParameters, runLambda } from '../test/support/lambda-node';

export interface BenchTools {
	runs: number;
	median(values: number[]): number;
	sideBySide(runs: number, measure: () => Promise<number>, baseline: () => Promise<number>): Promise<{ measured: number; baseline: number }>;
	timed(run: () => Promise<unknown>): Promise<number>;
	ms(value: number): string;
	record(figure: { name: string; measured: string; baseline: string; ratio: number; target: string }, met: boolean): void;
}

const MEMORY_BUDGET_BYTES = 64 * 2 ** 20;
const FIRST_CHUNK_GAP_MS = 300;
/** A 200 MB run takes under a second here and the disk's pace varies between runs: 7 give a steady median. */
const THROUGHPUT_RUNS = 7;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

const streamToBinary = (functionName: string, payload: string) =>
	invokeParameters(functionName, { payload, options: { responseStreaming: true, responseFormat: 'binary' } });

async function nodeStreamsToBinary(aws: LocalAws, functionName: string, payload: string): Promise<void> {
	const result = await runLambda(aws, { parameters: streamToBinary(functionName, payload) });
	if (result.error || !result.items[0]?.binary) throw new Error(`benchmark stream failed: ${result.error?.message ?? 'no binary'}`);
}

async function* sdkChunks(client: LambdaClient, functionName: string, payload: string): AsyncGenerator<Uint8Array> {
	const output = await client.send(new InvokeWithResponseStreamCommand({ FunctionName: functionName, Payload: payload }));
	for await (const event of output.EventStream ?? []) {
		if (event.PayloadChunk?.Payload?.length) yield event.PayloadChunk.Payload;
	}
}

async function sdkReadsAndDiscards(client: LambdaClient, functionName: string, payload: string, onFirstChunk = () => {}): Promise<number> {
	let bytes = 0;
	for await (const chunk of sdkChunks(client, functionName, payload)) {
		if (bytes === 0) onFirstChunk();
		bytes += chunk.length;
	}
	return bytes;
}

/** Median of `runs` child processes, each streaming one 200 MB response into filesystem binary data. */
async function memory(aws: LocalAws, tools: BenchTools) {
	const growths: number[] = [];
	for (let run = 0; run < tools.runs; run++) {
		const child = fork(join(__dirname, 'stream-memory-child.js'), [aws.url], { stdio: 'inherit', execArgv: ['--expose-gc'] });
		const report = await new Promise<{ baselineRss: number; peakRss: number; bytes: number; expected: number }>((resolve, reject) => {
			child.once('message', (message) => resolve(message as never));
			child.once('exit', (code) => (code ? reject(new Error(`stream memory child exited with ${code}`)) : undefined));
		});
		if (report.bytes !== report.expected) throw new Error(`streamed ${report.bytes} bytes instead of ${report.expected}`);
		growths.push(report.peakRss - report.baselineRss);
	}
	const growth = tools.median(growths);
	tools.record(
		{
			name: 'Stream Response memory: peak RSS growth while streaming one 200 MB response into binary data (filesystem mode)',
			measured: mib(growth),
			baseline: `${mib(STREAM_200_MB)} streamed`,
			ratio: growth / MEMORY_BUDGET_BYTES,
			target: '≤ 64 MiB (ratio to 64 MiB ≤ 1)',
		},
		growth <= MEMORY_BUDGET_BYTES,
	);
}

/** The node writes the file (filesystem mode); the baseline only reads the same stream. */
async function throughput(aws: LocalAws, tools: BenchTools, binaryData: FilesystemBinaryData) {
	const client = new LambdaClient({ region: 'us-east-1', endpoint: aws.url, credentials: DEFAULT_KEY });
	const { measured, baseline } = await tools.sideBySide(
		THROUGHPUT_RUNS,
		async () => {
			const elapsed = await tools.timed(async () => await nodeStreamsToBinary(aws, 'stream-large', '{}'));
			// Each run's 200 MB file goes, outside the timing, so the disk does not fill up.
			await rm(join(binaryData.storagePath, 'workflows'), { recursive: true, force: true });
			return elapsed;
		},
		async () =>
			await tools.timed(async () => {
				const bytes = await sdkReadsAndDiscards(client, 'stream-large', '{}');
				if (bytes !== STREAM_200_MB) throw new Error(`SDK loop read ${bytes} bytes`);
			}),
	);
	const ratio = measured / baseline;
	tools.record(
		{ name: 'Stream Response throughput: 200 MB into binary data (filesystem mode) vs a plain SDK loop reading and discarding it', measured: tools.ms(measured), baseline: tools.ms(baseline), ratio, target: '≤ 1.2' },
		ratio <= 1.2,
	);
	// The same comparison with the file written on both sides: what the node adds beyond the disk.
	const file = join(binaryData.storagePath, 'sdk-loop.bin');
	const withFile = await tools.sideBySide(
		THROUGHPUT_RUNS,
		async () => {
			const elapsed = await tools.timed(async () => await nodeStreamsToBinary(aws, 'stream-large', '{}'));
			await rm(join(binaryData.storagePath, 'workflows'), { recursive: true, force: true });
			return elapsed;
		},
		async () => await tools.timed(async () => await writeFile(file, Readable.from(sdkChunks(client, 'stream-large', '{}')))),
	);
	client.destroy();
	const fileRatio = withFile.measured / withFile.baseline;
	tools.record(
		{ name: 'Stream Response throughput: 200 MB into binary data (filesystem mode) vs a plain SDK loop writing the same file', measured: tools.ms(withFile.measured), baseline: tools.ms(withFile.baseline), ratio: fileRatio, target: '≤ 1.2' },
		fileRatio <= 1.2,
	);
}

/**
 * The function sends its first chunk, then the next ones 300 ms apart: a node that buffered would get
 * its first byte only at the end. Measured from the endpoint's send of the first chunk.
 */
async function firstByte(aws: LocalAws, tools: BenchTools, binaryData: FilesystemBinaryData) {
	const payload = JSON.stringify({ chunks: 5, delayMs: FIRST_CHUNK_GAP_MS });
	let nodeFirstByteAt = 0;
	const store = binaryData.service.store.bind(binaryData.service);
	binaryData.service.store = async (location, data, metadata) => {
		const tapped = (data as Readable).pipe(new Transform({ transform: (chunk, _encoding, done) => done(null, chunk) }));
		tapped.once('data', () => (nodeFirstByteAt ||= Date.now()));
		return await store(location, tapped, metadata);
	};
	const client = new LambdaClient({ region: 'us-east-1', endpoint: aws.url, credentials: DEFAULT_KEY });
	const sinceFirstChunk = (receivedAt: number) => receivedAt - (aws.log.at(-1)?.firstChunkAt ?? Number.NaN);
	const { measured, baseline } = await tools.sideBySide(
		tools.runs,
		async () => {
			nodeFirstByteAt = 0;
			await nodeStreamsToBinary(aws, 'stream-chunks', payload);
			return sinceFirstChunk(nodeFirstByteAt);
		},
		async () => {
			let sdkFirstChunkAt = 0;
			await sdkReadsAndDiscards(client, 'stream-chunks', payload, () => (sdkFirstChunkAt = Date.now()));
			return sinceFirstChunk(sdkFirstChunkAt);
		},
	);
	client.destroy();
	binaryData.service.store = store;
	tools.record(
		{
			name: `Stream Response first byte: node's first byte after the function's first chunk (next chunk ${FIRST_CHUNK_GAP_MS} ms later) vs a plain SDK loop`,
			measured: tools.ms(measured),
			baseline: tools.ms(baseline),
			ratio: measured / Math.max(baseline, 1),
			target: `< ${FIRST_CHUNK_GAP_MS} ms (before the second chunk)`,
		},
		measured < FIRST_CHUNK_GAP_MS,
	);
}

export async function streamingFigures(aws: LocalAws, tools: BenchTools): Promise<void> {
	await memory(aws, tools);
	const binaryData = await useFilesystemBinaryData();
	try {
		await throughput(aws, tools, binaryData);
		await firstByte(aws, tools, binaryData);
	} finally {
		await binaryData.restore();
	}
}
