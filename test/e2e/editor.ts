/**
 * The editor side of real n8n: `n8n start` on loopback, an owner account through the REST API, the
 * credential Test button's endpoint, the function picker's endpoint (the node's listSearch), and
 * the workflow opened in headless Debian Chromium with the node's panel, saved as a screenshot.
 * The server, the owner's sign-in, the browser and opening a workflow serve the other suites too.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import type { ElementHandle, Page, Viewport } from 'puppeteer-core';
import puppeteer from 'puppeteer-core';

export const OWNER = { email: 'owner@example.com', firstName: 'E2E', lastName: 'Owner', password: 'Local-e2e-Passw0rd' };
/** With the default Authentication, n8n shows the credential picker in its place. */
const LABELS = ['Credential', 'Operation', 'AWS Region', 'Function Name or ARN', 'Invoke Type', 'Payload', 'Options', 'Dynamic Credentials'];
export const PANEL_VIEWPORT: Viewport = { width: 1400, height: 900 };
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];

export interface EditorCheck {
	name: string;
	problem?: string;
}

export interface EditorRun extends EditorServer {
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

/** An n8n installation and the user folder it runs in. */
export interface EditorServer {
	bin: string;
	env: NodeJS.ProcessEnv;
	userFolder: string;
}

/** A running editor and the owner's session cookie. */
export interface EditorSession {
	base: string;
	cookie: string;
	userFolder: string;
}

/**
 * `n8n start` on loopback with the owner signed in, for `use`; the server stops whatever happens.
 * A failure is one more check, with the tail of n8n's log.
 */
export async function withEditor(server: EditorServer, use: (session: EditorSession) => Promise<EditorCheck[]>): Promise<EditorCheck[]> {
	const checks: EditorCheck[] = [];
	const port = await freePort();
	const base = `http://127.0.0.1:${port}`;
	const logFile = join(server.userFolder, 'n8n-start.log');
	const log = openSync(logFile, 'w');
	const n8n = spawn(server.bin, ['start'], {
		env: { ...server.env, N8N_PORT: String(port), N8N_LISTEN_ADDRESS: '127.0.0.1', N8N_SECURE_COOKIE: 'false', N8N_USER_FOLDER: server.userFolder },
		stdio: ['ignore', log, log],
	});
	const logTail = () => readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n');
	try {
		await waitForRestApi(base, n8n, 120_000);
		const signIn = await signInOwner(base);
		checks.push(signIn.check);
		if (signIn.cookie) checks.push(...(await use({ base, cookie: signIn.cookie, userFolder: server.userFolder })));
	} catch (error) {
		checks.push({ name: 'n8n editor', problem: `${(error as Error).message}\n--- n8n log (tail) ---\n${logTail()}` });
	} finally {
		n8n.kill('SIGTERM');
		await new Promise((resolve) => (n8n.exitCode !== null ? resolve(undefined) : n8n.once('exit', resolve)));
		closeSync(log);
	}
	return checks;
}

/** The first start of a user folder sets the owner up; every later start (another suite's) logs in. */
async function signInOwner(base: string): Promise<{ check: EditorCheck; cookie?: string }> {
	const setup = await rest(base, '/owner/setup', OWNER);
	if (setup.status === 200 && setup.cookie) return { check: { name: 'owner set up through the REST API' }, cookie: setup.cookie };
	const login = await rest(base, '/login', { emailOrLdapLoginId: OWNER.email, password: OWNER.password });
	if (login.status === 200 && login.cookie) return { check: { name: 'owner logged in through the REST API' }, cookie: login.cookie };
	return {
		check: {
			name: 'owner set up or logged in through the REST API',
			problem: `setup: status ${setup.status}: ${setup.text.slice(0, 200)}; login: status ${login.status}: ${login.text.slice(0, 200)}`,
		},
	};
}

/** A fresh headless Chromium profile with the owner's cookie, one page for `use`; the browser closes whatever happens. */
export async function withBrowserPage<T>(session: EditorSession, viewport: Viewport, use: (page: Page) => Promise<T>): Promise<T> {
	const userDataDir = mkdtempSync(join(session.userFolder, 'chromium-profile-'));
	const browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', args: [...CHROMIUM_FLAGS, `--user-data-dir=${userDataDir}`], headless: true });
	try {
		const page = await browser.newPage();
		await page.setViewport(viewport);
		const [name, value] = session.cookie.split('=');
		await page.setCookie({ name, value, domain: '127.0.0.1', path: '/' });
		return await use(page);
	} finally {
		await browser.close();
	}
}

/** The canvas node of that name, on the new canvas and the old one. */
export function canvasNode(nodeName: string): string {
	return `:is([data-test-id="canvas-node"][data-node-name="${nodeName}"], [data-name="${nodeName}"])`;
}

/** Opens the workflow in the editor and waits until the node is drawn on the canvas. */
export async function openWorkflow(page: Page, session: EditorSession, workflowId: string, nodeName: string): Promise<ElementHandle> {
	await page.goto(`${session.base}/workflow/${workflowId}`, { waitUntil: 'networkidle2', timeout: 60_000 });
	const node = await page.waitForSelector(canvasNode(nodeName), { timeout: 60_000 });
	if (!node) throw new Error(`node ${nodeName} is not on the canvas of workflow ${workflowId}`);
	return node;
}

export async function screenshot(page: Page, path: string): Promise<void> {
	mkdirSync(dirname(path), { recursive: true });
	await page.screenshot({ path: path as `${string}.png` });
}

export async function checkEditor(run: EditorRun): Promise<EditorCheck[]> {
	return withEditor(run, async (session) => {
		const { base, cookie } = session;
		const checks: EditorCheck[] = [];
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

		checks.push(await withBrowserPage(session, PANEL_VIEWPORT, (page) => screenshotNodePanel(page, session, run)));
		return checks;
	});
}

async function screenshotNodePanel(page: Page, session: EditorSession, run: EditorRun): Promise<EditorCheck> {
	const node = await openWorkflow(page, session, run.workflowId, run.nodeName);
	await node.click({ count: 2 });
	// Evaluated in the page, written as strings because this file compiles without the DOM types.
	await page.waitForFunction('document.body.innerText.includes("Function Name or ARN")', { timeout: 30_000 });
	const text = (await page.evaluate('document.body.innerText')) as string;
	await screenshot(page, run.screenshot);
	const missing = LABELS.filter((label) => !text.includes(label));
	if (missing.length) return { name: 'node panel in the editor', problem: `labels not visible: ${missing.join(', ')}` };

	await page.locator('::-p-text(Execute step)').click();
	await page.waitForFunction('document.body.innerText.includes("executedVersion")', { timeout: 60_000 });
	await screenshot(page, run.screenshot.replace(/\.png$/, '-executed.png'));
	return { name: 'node panel shows every input, and Execute step shows the output' };
}
