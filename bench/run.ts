/**
 * `npm run bench`: speed and memory of the node against the local AWS endpoint on loopback, each
 * figure measured side by side with its baseline in this one run. Prints a table and writes
 * bench/results.json. Ratios, not absolute times, are the result: they hold across machines.
 */
import { execFileSync, fork } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient, paginateListFunctions } from '@aws-sdk/client-lambda';
import type { ICredentialType, INodeType } from 'n8n-workflow';

import { DEFAULT_KEY, LocalAws } from '../test/support/aws-endpoint';
import { runNode, shutdownEngine } from '../test/support/engine';
import { repoRoot } from '../test/support/examples';
import { assumeRoleCredential, invokeParameters, listParameters, runLambda } from '../test/support/lambda-node';
import { streamingFigures } from './streaming';

const ITEMS = 1000;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SLOW_RUNS = Number(process.env.BENCH_SLOW_RUNS ?? 3);
/** `BENCH_ONLY=streaming` runs only those figures (comma-separated group names); all by default. */
const ONLY = process.env.BENCH_ONLY?.split(',');
const wanted = (group: string) => !ONLY || ONLY.includes(group);

interface Figure {
	name: string;
	measured: string;
	baseline: string;
	ratio: number;
	target: string;
	met: boolean;
}

const figures: Figure[] = [];

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Alternates the two measurements so drift (warm-up, other load) hits both alike. */
async function sideBySide(runs: number, measure: () => Promise<number>, baseline: () => Promise<number>) {
	await measure();
	await baseline();
	const a: number[] = [];
	const b: number[] = [];
	for (let run = 0; run < runs; run++) {
		a.push(await measure());
		b.push(await baseline());
	}
	return { measured: median(a), baseline: median(b) };
}

const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 0)} ms`;
const items = (count: number) => Array.from({ length: count }, (_, i) => ({ i }));

async function timed(run: () => Promise<unknown>): Promise<number> {
	const started = performance.now();
	await run();
	return performance.now() - started;
}

function record(figure: Omit<Figure, 'met'>, met: boolean): void {
	figures.push({ ...figure, met });
	console.log(`${met ? '✓' : '✗'} ${figure.name}: ${figure.measured} vs ${figure.baseline} → ${figure.ratio.toFixed(2)} (target ${figure.target})`);
}

async function assertRun(run: Promise<{ items: unknown[]; error?: { message: string } }>, expected: number) {
	const result = await run;
	if (result.error || result.items.length !== expected) {
		throw new Error(`benchmark run failed: ${result.error?.message ?? `${result.items.length} items instead of ${expected}`}`);
	}
}

async function nodeOverhead(aws: LocalAws) {
	const client = new LambdaClient({
		region: 'us-east-1',
		endpoint: aws.url,
		credentials: DEFAULT_KEY,
		maxAttempts: 3,
		requestHandler: {
			requestTimeout: 960_000,
			throwOnRequestTimeout: true,
			httpAgent: new Agent({ keepAlive: true, keepAliveMsecs: 60_000, maxSockets: 1 }),
		},
	});
	const parameters = invokeParameters('echo', { payload: '{"n":1}', options: { concurrency: 1 } });
	const { measured, baseline } = await sideBySide(
		RUNS,
		async () => await timed(async () => await assertRun(runLambda(aws, { parameters, items: items(ITEMS) }), ITEMS)),
		async () =>
			await timed(async () => {
				for (let i = 0; i < ITEMS; i++) {
					const output = await client.send(new InvokeCommand({ FunctionName: 'echo', Payload: '{"n":1}' }));
					JSON.parse(Buffer.from(output.Payload ?? []).toString('utf8'));
				}
			}),
	);
	client.destroy();
	const ratio = measured / baseline;
	record({ name: `Node overhead: ${ITEMS} invocations at concurrency 1, n8n engine vs plain SDK loop`, measured: ms(measured), baseline: ms(baseline), ratio, target: '≤ 1.15' }, ratio <= 1.15);
}

async function fanOut(aws: LocalAws) {
	const run = (concurrency: number) => async () =>
		await timed(async () =>
			await assertRun(
				runLambda(aws, { parameters: invokeParameters('slow', { payload: '{"ms":20}', options: { concurrency } }), items: items(ITEMS) }),
				ITEMS,
			),
		);
	const { measured, baseline } = await sideBySide(SLOW_RUNS, run(10), run(1));
	const speedup = baseline / measured;
	record({ name: `Fan-out: ${ITEMS} × 20 ms function, concurrency 10 vs 1 (speed-up)`, measured: ms(measured), baseline: ms(baseline), ratio: speedup, target: '≥ 8' }, speedup >= 8);
}

function loadPeerNode(): { node: INodeType; credential: ICredentialType } | undefined {
	const peer = join(repoRoot(), 'bench', 'peer');
	const base = join(peer, 'node_modules', 'n8n-nodes-base', 'dist');
	if (!existsSync(base)) {
		console.log('Installing n8n-nodes-base (n8n\'s built-in nodes) into bench/peer for the comparison…');
		execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--omit=peer'], { cwd: peer, stdio: 'inherit' });
	}
	/* eslint-disable @typescript-eslint/no-require-imports */
	const { AwsLambda } = require(join(base, 'nodes', 'Aws', 'AwsLambda.node.js')) as { AwsLambda: new () => INodeType };
	const { Aws } = require(join(base, 'credentials', 'Aws.credentials.js')) as { Aws: new () => ICredentialType };
	return { node: new AwsLambda(), credential: new Aws() };
}

async function peer(aws: LocalAws) {
	const builtIn = loadPeerNode();
	if (!builtIn) return;
	const runBuiltIn = async () =>
		await timed(async () =>
			await assertRun(
				runNode({
					node: { type: builtIn.node, typeName: 'n8n-nodes-base.awsLambda' },
					parameters: { operation: 'invoke', function: 'slow', qualifier: '$LATEST', invocationType: 'RequestResponse', payload: '{"ms":20}' },
					items: items(ITEMS),
					credentials: {
						aws: {
							region: 'us-east-1',
							accessKeyId: DEFAULT_KEY.accessKeyId,
							secretAccessKey: DEFAULT_KEY.secretAccessKey,
							temporaryCredentials: false,
							customEndpoints: true,
							lambdaEndpoint: aws.url,
						},
					},
					credentialTypes: [builtIn.credential],
				}),
				ITEMS,
			),
		);
	const runOurs = async () =>
		await timed(async () =>
			await assertRun(runLambda(aws, { parameters: invokeParameters('slow', { payload: '{"ms":20}' }), items: items(ITEMS) }), ITEMS),
		);
	const { measured, baseline } = await sideBySide(SLOW_RUNS, runOurs, runBuiltIn);
	const speedup = baseline / measured;
	record({ name: `Peer: ${ITEMS} × 20 ms function, this node (defaults) vs n8n's built-in AWS Lambda node (speed-up)`, measured: ms(measured), baseline: ms(baseline), ratio: speedup, target: '≥ 5' }, speedup >= 5);
}

async function assumeRole(aws: LocalAws) {
	aws.clearLog();
	await assertRun(
		runLambda(aws, {
			parameters: invokeParameters('echo', { authentication: 'assumeRole' }),
			items: items(ITEMS),
			credentials: { awsLambdaAssumeRoleApi: assumeRoleCredential(aws, { roleSessionName: 'bench' }) },
		}),
		ITEMS,
	);
	const calls = aws.log.filter((entry) => entry.action === 'AssumeRole').length;
	record({ name: `Assumed role: AssumeRole calls for ${ITEMS} invocations`, measured: `${calls} call(s)`, baseline: `${ITEMS} invocations`, ratio: calls, target: '= 1' }, calls === 1);
}

async function listAll(aws: LocalAws, total: number) {
	const client = new LambdaClient({ region: 'us-east-1', endpoint: aws.url, credentials: DEFAULT_KEY });
	const { measured, baseline } = await sideBySide(
		RUNS,
		async () => await timed(async () => await assertRun(runLambda(aws, { parameters: listParameters({ returnAll: true }) }), total)),
		async () =>
			await timed(async () => {
				let count = 0;
				for await (const page of paginateListFunctions({ client, pageSize: 50 }, {})) count += page.Functions?.length ?? 0;
				if (count !== total) throw new Error(`paginator listed ${count}`);
			}),
	);
	client.destroy();
	const ratio = measured / baseline;
	record({ name: `List all ${total} functions, n8n engine vs the SDK's paginator loop`, measured: ms(measured), baseline: ms(baseline), ratio, target: '≤ 1.2' }, ratio <= 1.2);
}

/** Peak RSS growth of a separate process running the node, so the endpoint's own buffers do not count. */
async function memoryOnce(aws: LocalAws, payloadBytes: number, concurrency: number) {
	const child = fork(join(__dirname, 'memory-child.js'), [aws.url, String(payloadBytes), String(concurrency)], { stdio: 'inherit' });
	return await new Promise<{ baselineRss: number; peakRss: number; items: number }>((resolve, reject) => {
		child.once('message', (message) => resolve(message as never));
		child.once('exit', (code) => (code ? reject(new Error(`memory child exited with ${code}`)) : undefined));
	});
}

/** The median of SLOW_RUNS processes: when V8 collects the freed response text moves one run's peak a lot. */
async function memory(aws: LocalAws) {
	const payloadBytes = 6 * 1024 * 1024 - 64;
	const concurrency = 10;
	const reports = [];
	for (let run = 0; run < SLOW_RUNS; run++) reports.push(await memoryOnce(aws, payloadBytes, concurrency));
	const growth = median(reports.map((report) => report.peakRss - report.baselineRss));
	const budget = 3 * concurrency * payloadBytes;
	record(
		{
			name: `Memory: peak RSS growth, 20 invocations returning 6 MB at concurrency ${concurrency} (÷ in-flight × payload)`,
			measured: `${(growth / 2 ** 20).toFixed(0)} MiB`,
			baseline: `${((concurrency * payloadBytes) / 2 ** 20).toFixed(0)} MiB in flight`,
			ratio: growth / (concurrency * payloadBytes),
			target: '≤ 3',
		},
		growth <= budget && reports.every((report) => report.items === 20),
	);
}

/** Time to require the built node and credentials in a fresh process, beyond requiring n8n-workflow. */
function loadCost() {
	const root = repoRoot();
	const files = ['dist/nodes/AwsLambda/AwsLambda.node.js', 'dist/credentials/AwsLambdaAccessKeyApi.credentials.js', 'dist/credentials/AwsLambdaAssumeRoleApi.credentials.js'].map((file) => join(root, file));
	const script = `const t0 = performance.now(); require('n8n-workflow'); const t1 = performance.now(); for (const f of ${JSON.stringify(files)}) require(f); const t2 = performance.now(); console.log(JSON.stringify({ workflow: t1 - t0, extra: t2 - t1, sdkLoaded: Object.keys(require.cache).some((k) => k.includes('@aws-sdk')) }));`;
	const samples = Array.from({ length: 9 }, () => JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' })) as { workflow: number; extra: number; sdkLoaded: boolean });
	const extra = median(samples.map((sample) => sample.extra));
	const workflow = median(samples.map((sample) => sample.workflow));
	record(
		{ name: 'Load cost: require node + credentials in a fresh process, beyond n8n-workflow (AWS SDK not loaded)', measured: ms(extra), baseline: `${ms(workflow)} for n8n-workflow`, ratio: extra / workflow, target: '≤ 20 ms extra' },
		extra <= 20 && samples.every((sample) => !sample.sdkLoaded),
	);
}

async function main() {
	const machine = { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version, platform: process.platform };
	console.log(`Machine: ${machine.cores} cores (${machine.cpu}), Node ${machine.node}; medians of ${RUNS} runs (${SLOW_RUNS} for the 20 ms runs)\n`);
	if (wanted('load')) loadCost();
	const listCount = 10_000;
	// The built-in node compared against signs with an empty service scope (see LocalAwsOptions).
	const aws = await LocalAws.start({ functionCount: listCount - 11, quiet: true, acceptEmptySigningService: true });
	try {
		if (wanted('invoke')) {
			await nodeOverhead(aws);
			await fanOut(aws);
			await peer(aws);
			await assumeRole(aws);
			await listAll(aws, listCount);
			await memory(aws);
		}
		if (wanted('streaming')) await streamingFigures(aws, { runs: SLOW_RUNS, median, sideBySide, timed, ms, record });
	} finally {
		await aws.stop();
		shutdownEngine();
	}
	const results = { date: new Date().toISOString(), machine, runs: RUNS, slowRuns: SLOW_RUNS, figures };
	// A subset's figures would replace the full table the README quotes.
	if (!ONLY) writeFileSync(join(repoRoot(), 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
	console.log('\n| Figure | This node | Baseline | Ratio | Target | Met |\n| --- | --- | --- | --- | --- | --- |');
	for (const figure of figures) {
		console.log(`| ${figure.name} | ${figure.measured} | ${figure.baseline} | ${figure.ratio.toFixed(2)} | ${figure.target} | ${figure.met ? 'yes' : 'no'} |`);
	}
	if (!ONLY) console.log('\nWritten to bench/results.json');
}

main().catch((error) => {
	console.error(error);
	process.exitCode = 1;
});
