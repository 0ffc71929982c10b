/**
 * The editor side of real n8n: `n8n start` on loopback, an owner account through the REST API, the
 * credential Test button's endpoint, the function picker's endpoint (the node's listSearch), and
 * the workflow opened in headless Debian Chromium with the node's panel, saved as a screenshot.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';

export const OWNER = { email: 'owner@example.com', firstName: 'E2E', lastName: 'Owner', password: 'Local-e2e-Passw0rd' };
/** With the default Authentication, n8n shows the credential picker in its place. */
const LABELS = ['Credential', 'Operation', 'AWS Region', 'Function Name or ARN', 'Invoke Type', 'Payload', 'Options', 'Dynamic Credentials'];
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];

export interface EditorCheck {
	name: string;
	problem?: string;
}

export interface EditorRun {
	bin: string;
	env: NodeJS.ProcessEnv;
	userFolder: string;
	workflowId: string;
	nodeName: string;
	credentials: Array<{ id: string; name: string; type: string; data: object }>;
	screenshot: string;
}

export async function freePort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as { port: number };
	await new Promise((resolve) => server.close(resolve));
	return port;
}

/** /healthz answers before the REST API is mounted; the public settings endpoint answers once it is. */
export async function waitForRestApi(base: string, n8n: ChildProcess, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (n8n.exitCode !== null) throw new Error(`n8n start exited with ${n8n.exitCode}`);
		try {
			const response = await fetch(`${base}/rest/settings`);
			if (response.ok && (response.headers.get('content-type') ?? '').includes('json')) return;
		} catch {
			// not listening yet
		}
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
	throw new Error(`n8n's REST API did not answer within ${timeoutMs / 1000} s`);
}

export async function rest(base: string, path: string, body: object, cookie?: string) {
	const response = await fetch(`${base}/rest${path}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
		body: JSON.stringify(body),
	});
	const text = await response.text();
	return { status: response.status, cookie: response.headers.get('set-cookie')?.split(';')[0], json: safeJson(text), text };
}

function safeJson(text: string): { data?: unknown } | undefined {
	try {
		return JSON.parse(text) as { data?: unknown };
	} catch {
		return undefined;
	}
}

export async function checkEditor(run: EditorRun): Promise<EditorCheck[]> {
	const checks: EditorCheck[] = [];
	const port = await freePort();
	const base = `http://127.0.0.1:${port}`;
	const logFile = join(run.userFolder, 'n8n-start.log');
	const log = openSync(logFile, 'w');
	const n8n = spawn(run.bin, ['start'], {
		env: { ...run.env, N8N_PORT: String(port), N8N_LISTEN_ADDRESS: '127.0.0.1', N8N_SECURE_COOKIE: 'false', N8N_USER_FOLDER: run.userFolder },
		stdio: ['ignore', log, log],
	});
	const logTail = () => readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n');
	try {
		await waitForRestApi(base, n8n, 120_000);
		const setup = await rest(base, '/owner/setup', OWNER);
		const cookie = setup.cookie;
		checks.push({ name: 'owner set up through the REST API', problem: setup.status === 200 && cookie ? undefined : `status ${setup.status}: ${setup.text.slice(0, 200)}` });

		for (const credential of run.credentials) {
			const tested = await rest(base, '/credentials/test', { credentials: credential }, cookie);
			const result = tested.json?.data as { status?: string; message?: string } | undefined;
			checks.push({
				name: `credential Test button: ${credential.type}`,
				problem: result?.status === 'OK' ? undefined : `status ${tested.status}: ${tested.text.slice(0, 300)}`,
			});
		}

		const picker = await rest(
			base,
			'/dynamic-node-parameters/resource-locator-results',
			{
				methodName: 'searchFunctions',
				path: 'parameters.functionName',
				nodeTypeAndVersion: { name: 'n8n-nodes-aws-lambda.awsLambda', version: 1 },
				currentNodeParameters: { authentication: 'accessKey', operation: 'invoke', region: 'us-east-1', functionName: { __rl: true, mode: 'list', value: '' } },
				credentials: { awsLambdaAccessKeyApi: { id: run.credentials[0].id, name: run.credentials[0].name } },
				filter: 'ech',
			},
			cookie,
		);
		const names = ((picker.json?.data as { results?: Array<{ name: string }> } | undefined)?.results ?? []).map((result) => result.name);
		checks.push({ name: 'function picker (listSearch) lists the functions', problem: names.includes('echo') ? undefined : `status ${picker.status}: ${picker.text.slice(0, 300)}` });

		checks.push(await screenshotNodePanel(base, cookie ?? '', run));
	} catch (error) {
		checks.push({ name: 'n8n editor', problem: `${(error as Error).message}\n--- n8n log (tail) ---\n${logTail()}` });
	} finally {
		n8n.kill('SIGTERM');
		await new Promise((resolve) => (n8n.exitCode !== null ? resolve(undefined) : n8n.once('exit', resolve)));
		closeSync(log);
	}
	return checks;
}

async function screenshotNodePanel(base: string, cookie: string, run: EditorRun): Promise<EditorCheck> {
	const userDataDir = join(run.userFolder, 'chromium-profile');
	mkdirSync(userDataDir, { recursive: true });
	const browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', args: [...CHROMIUM_FLAGS, `--user-data-dir=${userDataDir}`], headless: true });
	try {
		const page = await browser.newPage();
		await page.setViewport({ width: 1400, height: 900 });
		const [name, value] = cookie.split('=');
		await page.setCookie({ name, value, domain: '127.0.0.1', path: '/' });
		await page.goto(`${base}/workflow/${run.workflowId}`, { waitUntil: 'networkidle2', timeout: 60_000 });
		const node = await page.waitForSelector(`[data-test-id="canvas-node"][data-node-name="${run.nodeName}"], [data-name="${run.nodeName}"]`, { timeout: 60_000 });
		await node?.click({ count: 2 });
		// Evaluated in the page, written as strings because this file compiles without the DOM types.
		await page.waitForFunction('document.body.innerText.includes("Function Name or ARN")', { timeout: 30_000 });
		const text = (await page.evaluate('document.body.innerText')) as string;
		mkdirSync(join(run.screenshot, '..'), { recursive: true });
		await page.screenshot({ path: run.screenshot as `${string}.png` });
		const missing = LABELS.filter((label) => !text.includes(label));
		if (missing.length) return { name: 'node panel in the editor', problem: `labels not visible: ${missing.join(', ')}` };

		await page.locator('::-p-text(Execute step)').click();
		await page.waitForFunction('document.body.innerText.includes("executedVersion")', { timeout: 60_000 });
		await page.screenshot({ path: run.screenshot.replace(/\.png$/, '-executed.png') as `${string}.png` });
		return { name: 'node panel shows every input, and Execute step shows the output' };
	} finally {
		await browser.close();
	}
}
