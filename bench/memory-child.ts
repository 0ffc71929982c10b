/**
 * Runs in its own process for the memory figure: 20 invocations of a function returning ~6 MB at the
 * given concurrency, through n8n's engine, sampling RSS. The endpoint lives in the parent process.
 */
import type { LocalAws } from '../test/support/aws-endpoint';
import { shutdownEngine } from '../test/support/engine';
import { invokeParameters, runLambda } from '../test/support/lambda-node';

async function main() {
	const [url, bytes, concurrency] = process.argv.slice(2);
	const aws = { url } as LocalAws;
	const parameters = invokeParameters('large', {
		payload: JSON.stringify({ bytes: Number(bytes) }),
		options: { concurrency: Number(concurrency) },
	});
	// Warm up: load the SDK and the engine, so their code does not count as growth.
	await runLambda(aws, { parameters: invokeParameters('echo'), items: [{}] });
	global.gc?.();
	const baselineRss = process.memoryUsage().rss;
	let peakRss = baselineRss;
	const sampler = setInterval(() => {
		peakRss = Math.max(peakRss, process.memoryUsage().rss);
	}, 2);
	const result = await runLambda(aws, { parameters, items: Array.from({ length: 20 }, () => ({})) });
	clearInterval(sampler);
	peakRss = Math.max(peakRss, process.memoryUsage().rss);
	if (result.error) throw new Error(result.error.message);
	process.send?.({ baselineRss, peakRss, items: result.items.length });
	shutdownEngine();
}

void main();
