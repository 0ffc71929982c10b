/**
 * Runs in its own process for the streaming memory figure: one 200 MB streamed response written to
 * binary data in n8n's filesystem mode, through n8n's engine, sampling RSS. The endpoint (which
 * generates the 200 MB) lives in the parent process, so only the node's side is measured.
 */
import type { IBinaryData } from 'n8n-workflow';

import type { LocalAws } from '../test/support/aws-endpoint';
import { STREAM_200_MB } from '../test/support/aws-endpoint/functions/stream-large';
import { useFilesystemBinaryData } from '../test/support/binaryData';
import { shutdownEngine } from '../test/support/engine';
import { invokeParameters, runLambda } from '../test/support/lambda-node';

const streamToBinary = (functionName: string, payload: string) =>
	invokeParameters(functionName, { payload, options: { responseStreaming: true, responseFormat: 'binary' } });

async function main() {
	const aws = { url: process.argv[2] } as LocalAws;
	const binaryData = await useFilesystemBinaryData();
	// Warm up: load the SDK, the engine and the binary-data code, so their code does not count as growth.
	await runLambda(aws, { parameters: streamToBinary('stream-large', '{"bytes":1048576}') });
	global.gc?.();
	const baselineRss = process.memoryUsage().rss;
	let peakRss = baselineRss;
	const sampler = setInterval(() => {
		peakRss = Math.max(peakRss, process.memoryUsage().rss);
	}, 2);
	const result = await runLambda(aws, { parameters: streamToBinary('stream-large', '{}') });
	clearInterval(sampler);
	peakRss = Math.max(peakRss, process.memoryUsage().rss);
	if (result.error) throw new Error(result.error.message);
	const bytes = (result.items[0]?.binary?.data as IBinaryData | undefined)?.bytes;
	process.send?.({ baselineRss, peakRss, bytes, expected: STREAM_200_MB });
	await binaryData.restore();
	shutdownEngine();
}

void main();
