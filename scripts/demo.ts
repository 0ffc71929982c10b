/**
 * `npm run demo`: the package's main job on an embedded default. Starts the local AWS endpoint,
 * runs every example workflow's AWS Lambda node (and each invocation type) through n8n's execution
 * engine, and prints the resulting items as tables.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { LocalAws } from '../test/support/aws-endpoint';
import { shutdownEngine } from '../test/support/engine';
import type { Example } from '../test/support/examples';
import { loadExamples } from '../test/support/examples';
import { credentialsFor, invokeParameters, runLambda } from '../test/support/lambda-node';
import { showDurableApproval } from './demo-durable';

const MAX_ROWS = 6;

async function main(): Promise<void> {
	const aws = await LocalAws.start({ functionCount: 120, quiet: true });
	console.log(`Local AWS endpoint (Lambda REST + STS query, SigV4 checked) on ${aws.url}\n`);
	let failures = 0;
	try {
		for (const example of loadExamples()) {
			failures += await showExample(aws, example);
		}
		failures += await showDurableApproval(aws, show);
		for (const invocationType of ['RequestResponse', 'Event', 'DryRun']) {
			failures += await show(aws, `Invoke echo as ${invocationType}`, {
				parameters: invokeParameters('echo', { invocationType, payload: '{"greeting":"hello"}' }),
			});
		}
		failures += await show(aws, 'A function error, with Continue On Fail', {
			parameters: invokeParameters('fail', { payload: '{"order":7}' }),
			continueOnFail: true,
			expectErrors: true,
		});
	} finally {
		await aws.stop();
		shutdownEngine();
	}
	const calls = aws.log.length;
	console.log(`${calls} requests reached the local endpoint, every one SigV4-verified: ${aws.log.every((entry) => entry.signatureValid) ? 'yes' : 'NO'}`);
	if (failures > 0) {
		console.error(`${failures} demo step(s) failed`);
		process.exitCode = 1;
	}
}

async function showExample(aws: LocalAws, example: Example): Promise<number> {
	return await show(aws, `examples/${example.file}: ${example.workflow.name}`, {
		parameters: example.parameters,
		items: example.inputItems,
		credentials: credentialsFor(aws, example.credentialType),
	});
}

async function show(
	aws: LocalAws,
	title: string,
	run: Parameters<typeof runLambda>[1] & { expectErrors?: boolean },
): Promise<number> {
	const before = aws.log.length;
	const result = await runLambda(aws, run);
	const requests = aws.log.length - before;
	console.log(`▶ ${title}`);
	console.log(
		`  ${run.items?.length ?? 1} item(s) in → ${result.items.length} item(s) out, ${requests} AWS request(s), ${Math.round(result.durationMs)} ms`,
	);
	if (result.error) {
		console.log(`  ✖ ${result.error.message}\n`);
		return 1;
	}
	console.table(result.items.slice(0, MAX_ROWS).map(row));
	if (result.items.length > MAX_ROWS) console.log(`  … and ${result.items.length - MAX_ROWS} more\n`);
	const errors = result.items.filter((item) => 'error' in item.json).length;
	return errors > 0 && !run.expectErrors ? 1 : 0;
}

/** One table row: the fields a reader cares about, long values shortened. */
function row(item: INodeExecutionData): IDataObject {
	const json = item.json;
	const picked: IDataObject =
		'FunctionName' in json
			? { FunctionName: json.FunctionName, Runtime: json.Runtime, MemorySize: json.MemorySize, Version: json.Version }
			: 'error' in json
				? { error: json.error, functionError: json.functionError, errorType: json.errorType }
				: 'durableExecutionArn' in json || 'Status' in json || 'sent' in json
					? { durable: json.DurableExecutionName ?? json.durableExecutionArn ?? json.callbackId, status: json.Status ?? json.sent ?? json.statusCode, result: json.Result }
					: { statusCode: json.statusCode, executedVersion: json.executedVersion, payload: json.payload };
	return Object.fromEntries(
		Object.entries({ item: (item.pairedItem as { item: number }).item, ...picked }).map(([key, value]) => [key, shorten(value)]),
	) as IDataObject;
}

function shorten(value: unknown): unknown {
	if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return value;
	const text = typeof value === 'string' ? value : JSON.stringify(value);
	return text.length > 70 ? `${text.slice(0, 67)}...` : text;
}

void main();
