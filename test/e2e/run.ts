/**
 * `npm run test:e2e`: the packed package inside a real, pinned n8n, headless. Packs the package,
 * installs the tarball the way n8n's community-node installer does, imports credentials of both
 * types and the example workflows with n8n's CLI, executes them, and checks the output items and
 * the local AWS endpoint's request log.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IDataObject, IWorkflowBase } from 'n8n-workflow';

import type { LocalAws } from '../support/aws-endpoint';
import { LocalAws as Endpoint } from '../support/aws-endpoint';
import type { Example } from '../support/examples';
import { LAMBDA_NODE_TYPE, loadExamples, repoRoot } from '../support/examples';
import { accessKeyCredential, assumeRoleCredential } from '../support/lambda-node';
import { checkEditor } from './editor';
import { runAgentChecks } from './agent';
import { runDurableChecks } from './durable';
import { runHostIdentityChecks } from './host-identity';
import type { CommandResult, N8nLine, RecordCheck } from './n8n';
import { installPackage, lambdaItems, n8nEnv, n8nLines, packTarball, parseRawOutput, runN8n, tail } from './n8n';
import { runStreamingChecks } from './streaming';

interface Check {
	line: string;
	name: string;
	ok: boolean;
	detail: string;
}

const checks: Check[] = [];

function errorWorkflow(continueOnFail: boolean): IWorkflowBase {
	const [invoke] = loadExamples().filter((example) => example.file === 'invoke-with-input-item.json');
	const workflow = structuredClone(invoke.workflow);
	const lambda = workflow.nodes.find((node) => node.type === LAMBDA_NODE_TYPE)!;
	lambda.parameters = { ...lambda.parameters, functionName: { __rl: true, mode: 'name', value: 'fail' }, options: {} };
	if (continueOnFail) lambda.onError = 'continueRegularOutput';
	workflow.name = `Function error${continueOnFail ? ' (Continue On Fail)' : ''}`;
	return workflow;
}

interface Scenario {
	id: string;
	workflow: IWorkflowBase;
	verify: (result: CommandResult, items: IDataObject[], aws: LocalAws) => string | undefined;
}

function scenarios(): Scenario[] {
	const examples = loadExamples();
	const byFile = (file: string) => examples.find((example) => example.file === file) as Example;
	const invokes = (aws: LocalAws) => aws.log.filter((entry) => entry.action === 'Invoke');
	return [
		{
			id: 'e2eInvokeAccessKey',
			workflow: byFile('invoke-with-input-item.json').workflow,
			verify: (_r, items, aws) =>
				items.length === 3 && items.every((item) => item.statusCode === 200) && invokes(aws).length === 3
					? undefined
					: `expected 3 items with statusCode 200 and 3 invocations, got ${JSON.stringify(items).slice(0, 300)}`,
		},
		{
			id: 'e2eInvokeAssumeRole',
			workflow: byFile('assume-role-external-id.json').workflow,
			verify: (_r, items, aws) => {
				const assumed = aws.log.filter((entry) => entry.action === 'AssumeRole').length;
				return items.length === 1 && items[0].executedVersion === '2' && assumed === 1 && invokes(aws)[0]?.hasSessionToken
					? undefined
					: `expected 1 item from version 2 and 1 AssumeRole, got ${assumed} AssumeRole and ${JSON.stringify(items).slice(0, 300)}`;
			},
		},
		{
			id: 'e2eListAll',
			workflow: byFile('list-all-functions.json').workflow,
			verify: (_r, items) => (items.length >= 131 && items.every((item) => typeof item.FunctionName === 'string') ? undefined : `expected ≥ 131 functions, got ${items.length}`),
		},
		{
			id: 'e2eFanOut',
			workflow: byFile('fan-out.json').workflow,
			verify: (_r, items) => (items.length === 200 && items.every((item) => item.statusCode === 200) ? undefined : `expected 200 items, got ${items.length}`),
		},
		{
			id: 'e2eFunctionError',
			workflow: errorWorkflow(false),
			verify: (result) =>
				result.status !== 0 && /Function fail failed \(item 0\): TypeError: boom/.test(result.stdout + result.stderr) ? undefined : `expected a failed execution with the function's error (exit ${result.status})`,
		},
		{
			id: 'e2eFunctionErrorContinue',
			workflow: errorWorkflow(true),
			verify: (result, items) =>
				result.status === 0 && items.length === 3 && items.every((item) => item.functionError === 'Unhandled' && typeof item.error === 'string')
					? undefined
					: `expected 3 error items with functionError Unhandled (exit ${result.status}), got ${JSON.stringify(items).slice(0, 300)}`,
		},
	];
}

function record(line: string, name: string, problem: string | undefined, started: number): void {
	const seconds = ((performance.now() - started) / 1000).toFixed(1);
	checks.push({ line, name, ok: problem === undefined, detail: problem ?? `${seconds} s` });
	console.log(`${problem === undefined ? 'PASS' : 'FAIL'} [${line}] ${name} (${seconds} s)${problem ? `: ${problem}` : ''}`);
}

/** The feature suites that run in the same n8n user folder after the examples and the editor. */
const SUITES = {
	agent: runAgentChecks,
	durable: runDurableChecks,
	hostIdentity: runHostIdentityChecks,
	streaming: runStreamingChecks,
};

/** `N8N_E2E_ONLY=agent,streaming` runs only those feature suites (and the examples, which install the package). */
function selectedSuites() {
	const only = process.env.N8N_E2E_ONLY?.split(',').map((name) => name.trim());
	return Object.entries(SUITES)
		.filter(([name]) => !only || only.includes(name))
		.map(([, suite]) => suite);
}

async function runLine(line: N8nLine, tarball: string): Promise<void> {
	const userFolder = mkdtempSync(join(tmpdir(), 'n8n-e2e-'));
	const aws = await Endpoint.start({ functionCount: 120, quiet: true });
	try {
		let started = performance.now();
		installPackage(userFolder, tarball);
		record(line.name, 'install the packed package as the community installer does', undefined, started);

		started = performance.now();
		const credentialsFile = join(userFolder, 'credentials.json');
		const credentials = [
			{ id: 'awsLambdaAccessKey1', name: 'AWS Lambda (Access Key) account', type: 'awsLambdaAccessKeyApi', data: accessKeyCredential(aws) },
			{ id: 'awsLambdaAssumeRole1', name: 'AWS Lambda (Assume Role) account', type: 'awsLambdaAssumeRoleApi', data: assumeRoleCredential(aws) },
		];
		writeFileSync(credentialsFile, JSON.stringify(credentials));
		const imported = await runN8n(line, userFolder, ['import:credentials', `--input=${credentialsFile}`]);
		record(line.name, 'import credentials of both types', imported.status === 0 ? undefined : tail(imported), started);

		const workflowsDir = join(userFolder, 'workflows');
		mkdirSync(workflowsDir);
		const all = scenarios();
		for (const scenario of all) {
			writeFileSync(join(workflowsDir, `${scenario.id}.json`), JSON.stringify({ ...scenario.workflow, id: scenario.id }));
		}
		started = performance.now();
		const importedWorkflows = await runN8n(line, userFolder, ['import:workflow', '--separate', `--input=${workflowsDir}`]);
		record(line.name, `import ${readdirSync(workflowsDir).length} workflows`, importedWorkflows.status === 0 ? undefined : tail(importedWorkflows), started);

		for (const scenario of all) {
			aws.clearLog();
			started = performance.now();
			const result = await runN8n(line, userFolder, ['execute', `--id=${scenario.id}`, '--rawOutput']);
			const lambdaNode = scenario.workflow.nodes.find((node) => node.type === LAMBDA_NODE_TYPE)!;
			const items = lambdaItems(parseRawOutput(result.stdout), lambdaNode.name);
			const unsigned = aws.log.filter((entry) => !entry.signatureValid).length;
			const problem = scenario.verify(result, items, aws) ?? (unsigned > 0 ? `${unsigned} request(s) with an invalid signature` : undefined);
			record(line.name, `execute ${scenario.workflow.name}`, problem && `${problem}\n${tail(result)}`, started);
		}

		started = performance.now();
		const editorChecks = await checkEditor({
			bin: line.bin,
			env: await n8nEnv(line, userFolder),
			userFolder,
			workflowId: 'e2eInvokeAccessKey',
			nodeName: 'Invoke echo',
			credentials,
			screenshot: join(repoRoot(), 'docs', 'screenshots', `${line.slug}-invoke-node.png`),
		});
		for (const check of editorChecks) record(line.name, `editor: ${check.name}`, check.problem, started);

		const recordFor: RecordCheck = (name, problem, checkStarted) => record(line.name, name, problem, checkStarted);
		for (const suite of selectedSuites()) {
			aws.clearLog();
			await suite(line, userFolder, aws, recordFor);
		}
	} finally {
		await aws.stop();
		rmSync(userFolder, { recursive: true, force: true });
	}
}

async function main(): Promise<void> {
	const workDir = mkdtempSync(join(tmpdir(), 'n8n-e2e-pack-'));
	try {
		const tarball = packTarball(workDir);
		// N8N_E2E_LINE=1 or 2 runs one n8n line only.
		const lines = n8nLines().filter((line) => !process.env.N8N_E2E_LINE || line.slug.startsWith(`n8n-${process.env.N8N_E2E_LINE}.`));
		for (const line of lines) await runLine(line, tarball);
	} finally {
		rmSync(workDir, { recursive: true, force: true });
	}
	const failed = checks.filter((check) => !check.ok).length;
	console.log(`\n${checks.length - failed} passed, ${failed} failed`);
	if (failed > 0) process.exitCode = 1;
}

void main();
