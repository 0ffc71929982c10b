/**
 * The durable human-approval example in real n8n: `n8n start` with the example created and activated
 * through the REST API, its manual start executed twice (the durable name makes the second a no-op),
 * the function's callback ID arriving at the production webhook, the form link reaching the approver's
 * inbox (a loopback server here), each Wait form opened and submitted as a browser does, and the
 * decisions ending the durable executions — checked on the local endpoint's log.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IDataObject, INode, IWorkflowBase } from 'n8n-workflow';

import type { LocalAws } from '../support/aws-endpoint';
import { DEFAULT_KEY } from '../support/aws-endpoint';
import { LAMBDA_NODE_TYPE, loadExamples } from '../support/examples';
import { accessKeyCredential } from '../support/lambda-node';
import type { EditorCheck, EditorSession } from './editor';
import { rest, withEditor } from './editor';
import type { N8nLine, RecordCheck } from './n8n';
import { lambdaItems, n8nEnv, parseRawOutput, runN8n, tail } from './n8n';

const EXAMPLE = 'durable-human-approval.json';
const START_NODE = 'Start approval';
const ORDERS_NODE = 'Orders to approve';
const NOTIFY_NODE = 'Send the approver the form link';
/** Where the example expects n8n; the suite's n8n listens on a free port instead. */
const EXAMPLE_N8N_ORIGIN = 'http://127.0.0.1:5678';
const CREDENTIAL = { name: 'AWS Lambda (Access Key) for durable approval', type: 'awsLambdaAccessKeyApi' };
/** The person's answers, one order approved and one rejected so both branches of the example run. */
const DECISIONS: Record<string, { Decision: string; Comment: string }> = {
	'A-2001': { Decision: 'Approve', Comment: 'within budget' },
	'A-2002': { Decision: 'Reject', Comment: 'too small to ship' },
};
const WAIT_MS = 60_000;

/** What the example's notify node sends the approver: which order, which durable execution, where the form is. */
interface FormLink {
	orderId: string;
	executionArn: string;
	formUrl: string;
}

interface ExecutionSummary {
	id: string;
	status: string;
	mode: string;
}

export async function runDurableChecks(line: N8nLine, userFolder: string, aws: LocalAws, record: RecordCheck): Promise<void> {
	const started = performance.now();
	const inbox = await ApproverInbox.start();
	try {
		const checks = await withEditor({ bin: line.bin, env: await n8nEnv(line, userFolder), userFolder }, async (session) => await approveThroughN8n(line, session, aws, inbox));
		for (const check of checks) record(`durable: ${check.name}`, check.problem, started);
	} finally {
		await inbox.stop();
	}
}

async function approveThroughN8n(line: N8nLine, session: EditorSession, aws: LocalAws, inbox: ApproverInbox): Promise<EditorCheck[]> {
	const checks: EditorCheck[] = [];
	const pass = (name: string, problem: string | undefined) => {
		checks.push({ name, problem });
		return problem === undefined;
	};
	const workflow = await createAndActivate(session, aws, inbox);
	pass('the human-approval example created with its credential and activated through the REST API', 'problem' in workflow ? workflow.problem : undefined);
	if ('problem' in workflow) return checks;
	const { id } = workflow;

	const startedBefore = aws.durable.started;
	if (!pass('started twice from the manual trigger: the same durable execution per order', await startTwice(line, session.userFolder, id))) return checks;
	const started = aws.durable.started - startedBefore;
	if (!pass('the durable name started the function once per order', started === 2 ? undefined : `expected 2 durable executions started, got ${started}`)) return checks;

	const waiting = await executionsOf(session, id, (executions) => executions.filter((execution) => execution.status === 'waiting').length === 2);
	if (!pass('the function\'s callback ID reached the webhook: one execution per order waits at the form', 'problem' in waiting ? waiting.problem : undefined)) return checks;
	const links = await inbox.waitFor(2, WAIT_MS);
	if (!pass('the approver got a form link per order', links.length === 2 ? undefined : `expected 2 form links within ${WAIT_MS / 1000} s, got ${JSON.stringify(links)}`)) return checks;

	for (const link of links) pass(`the form for order ${link.orderId} opened and submitted as a browser does`, await submitForm(link));

	pass('the decisions ended the durable executions: approved SUCCEEDED with the decision, rejected FAILED', await decisionsReached(aws, links));
	const finished = await executionsOf(session, id, (executions) => executions.every((execution) => !['waiting', 'running', 'new'].includes(execution.status)));
	pass('every n8n execution of the example finished successfully', 'problem' in finished ? finished.problem : everySucceeded(finished.executions));
	pass('every request to the endpoint was SigV4-valid, one callback success and one failure', callsOnTheLog(aws));
	pass('no secret in n8n\'s log', secretInLog(session));
	return checks;
}

async function createAndActivate(session: EditorSession, aws: LocalAws, inbox: ApproverInbox): Promise<{ id: string } | { problem: string }> {
	const credential = await rest(session.base, '/credentials', { ...CREDENTIAL, data: accessKeyCredential(aws) }, session.cookie);
	const credentialId = (credential.json?.data as { id?: string } | undefined)?.id;
	if (!credentialId) return { problem: `creating the credential answered ${credential.status}: ${credential.text.slice(0, 300)}` };
	const created = await rest(session.base, '/workflows', runnableExample(session.base, inbox.url, credentialId), session.cookie);
	const workflow = created.json?.data as { id?: string; versionId?: string } | undefined;
	if (!workflow?.id) return { problem: `creating the workflow answered ${created.status}: ${created.text.slice(0, 300)}` };
	const activated = await rest(session.base, `/workflows/${workflow.id}/activate`, { versionId: workflow.versionId }, session.cookie);
	return activated.status === 200 ? { id: workflow.id } : { problem: `activating answered ${activated.status}: ${activated.text.slice(0, 300)}` };
}

/** The example as shipped, pointed at this n8n, this inbox and the credential just created. */
function runnableExample(n8nBase: string, inboxUrl: string, credentialId: string): Pick<IWorkflowBase, 'name' | 'active' | 'nodes' | 'connections' | 'settings'> {
	const example = loadExamples().find((candidate) => candidate.file === EXAMPLE);
	if (!example) throw new Error(`examples/${EXAMPLE} is missing`);
	const { name, nodes, connections, settings } = structuredClone(example.workflow);
	const orders = nodeNamed(nodes, ORDERS_NODE);
	const jsCode = String(orders.parameters.jsCode);
	if (!jsCode.includes(EXAMPLE_N8N_ORIGIN)) throw new Error(`${EXAMPLE}: ${ORDERS_NODE} no longer names ${EXAMPLE_N8N_ORIGIN} in its callbackUrl`);
	orders.parameters.jsCode = jsCode.replaceAll(EXAMPLE_N8N_ORIGIN, n8nBase);
	const notify = nodes.find((node) => node.name === NOTIFY_NODE);
	if (notify) notify.parameters.url = inboxUrl;
	for (const node of nodes.filter((candidate) => candidate.type === LAMBDA_NODE_TYPE)) {
		node.credentials = { [CREDENTIAL.type]: { id: credentialId, name: CREDENTIAL.name } };
	}
	// n8n 1.x stores active without a default; activation is its own request.
	return { name, active: false, nodes, connections, settings };
}

function nodeNamed(nodes: INode[], name: string): INode {
	const node = nodes.find((candidate) => candidate.name === name);
	if (!node) throw new Error(`${EXAMPLE} has no node named ${name}`);
	return node;
}

/** What "Execute workflow" does, twice, as a retry after a crash would: `n8n execute` beside the running server. */
async function startTwice(line: N8nLine, userFolder: string, workflowId: string): Promise<string | undefined> {
	const runs: unknown[][] = [];
	for (let run = 0; run < 2; run++) {
		const result = await runN8n(line, userFolder, ['execute', `--id=${workflowId}`, '--rawOutput']);
		const arns = lambdaItems(parseRawOutput(result.stdout), START_NODE).map((item) => item.durableExecutionArn);
		if (result.status !== 0 || arns.length !== 2 || !arns.every((arn) => typeof arn === 'string')) {
			return `start ${run + 1}: expected 2 items with a durableExecutionArn (exit ${result.status}), got ${JSON.stringify(arns)}\n${tail(result)}`;
		}
		runs.push(arns);
	}
	return runs[0].join() === runs[1].join() ? undefined : `the second start returned other executions: ${JSON.stringify(runs)}`;
}

/** Polls the REST API until the example's executions satisfy `done`. */
async function executionsOf(
	session: EditorSession,
	workflowId: string,
	done: (executions: ExecutionSummary[]) => boolean,
): Promise<{ executions: ExecutionSummary[] } | { problem: string }> {
	const deadline = Date.now() + WAIT_MS;
	let executions: ExecutionSummary[] = [];
	while (Date.now() < deadline) {
		const filter = encodeURIComponent(JSON.stringify({ workflowId }));
		const response = await fetch(`${session.base}/rest/executions?filter=${filter}`, { headers: { cookie: session.cookie } });
		executions = ((await response.json()) as { data?: { results?: ExecutionSummary[] } }).data?.results ?? [];
		if (done(executions.filter((execution) => execution.mode === 'webhook'))) return { executions };
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
	return { problem: `executions still ${JSON.stringify(executions.map(({ id, status, mode }) => `${id} ${mode} ${status}`))} after ${WAIT_MS / 1000} s` };
}

/** Two starts from the CLI and two runs of the webhook: all must have succeeded. */
function everySucceeded(executions: ExecutionSummary[]): string | undefined {
	const byMode = (mode: string) => executions.filter((execution) => execution.mode === mode);
	const failed = executions.filter((execution) => execution.status !== 'success');
	if (failed.length > 0) return `not successful: ${JSON.stringify(failed)}`;
	return byMode('webhook').length === 2 && byMode('cli').length === 2 ? undefined : `expected 2 cli and 2 webhook executions, got ${JSON.stringify(executions)}`;
}

/** GET the link, read the form's fields by their labels, POST them as multipart form data like the page's script. */
async function submitForm(link: FormLink): Promise<string | undefined> {
	const decision = DECISIONS[link.orderId];
	if (!decision) return `a form link for an unknown order: ${JSON.stringify(link)}`;
	const page = await fetch(link.formUrl);
	const html = await page.text();
	if (page.status !== 200 || !html.includes(`Approve order ${link.orderId}?`)) return `GET ${link.formUrl} answered ${page.status} without the order's title: ${html.slice(0, 300)}`;
	const form = new FormData();
	for (const [label, value] of Object.entries(decision)) {
		const field = fieldLabelled(html, label);
		if (!field) return `the form has no field labelled ${label}`;
		form.append(field, value);
	}
	if (!html.includes(`<option value='${decision.Decision}'`)) return `the Decision field does not offer ${decision.Decision}`;
	const posted = await fetch(link.formUrl, { method: 'POST', body: form });
	const answer = await posted.text();
	return posted.ok ? undefined : `POST ${link.formUrl} answered ${posted.status}: ${answer.slice(0, 300)}`;
}

function fieldLabelled(html: string, label: string): string | undefined {
	return new RegExp(`<label[^>]*for='(field-\\d+)'[^>]*>\\s*${label}\\s*</label>`).exec(html)?.[1];
}

async function decisionsReached(aws: LocalAws, links: FormLink[]): Promise<string | undefined> {
	const problems: string[] = [];
	for (const link of links) {
		const execution = aws.durable.execution(link.executionArn);
		if (!execution) {
			problems.push(`${link.orderId}: the endpoint has no execution ${link.executionArn}`);
			continue;
		}
		await Promise.race([execution.whenEnded(), new Promise((resolve) => setTimeout(resolve, WAIT_MS).unref())]);
		const { Decision, Comment } = DECISIONS[link.orderId];
		const outcome = { status: execution.status, result: execution.result === undefined ? undefined : (JSON.parse(execution.result) as IDataObject), error: execution.error };
		const expected =
			Decision === 'Approve'
				? outcome.status === 'SUCCEEDED' && JSON.stringify(outcome.result?.decision) === JSON.stringify({ approved: true, comment: Comment })
				: outcome.status === 'FAILED' && outcome.error?.ErrorType === 'Rejected' && outcome.error.ErrorMessage === Comment;
		if (!expected) problems.push(`${link.orderId} (${Decision}): ${JSON.stringify(outcome).slice(0, 300)}`);
	}
	return problems.length === 0 ? undefined : problems.join('; ');
}

function callsOnTheLog(aws: LocalAws): string | undefined {
	const count = (action: string) => aws.log.filter((entry) => entry.action === action).length;
	const invalid = aws.log.filter((entry) => !entry.signatureValid);
	const problems = [
		invalid.length === 0 ? undefined : `${invalid.length} request(s) with an invalid signature: ${JSON.stringify(invalid.map((entry) => entry.action))}`,
		count('Invoke') === 4 ? undefined : `expected 4 Invoke calls (2 orders, started twice), got ${count('Invoke')}`,
		count('SendDurableExecutionCallbackSuccess') === 1 && count('SendDurableExecutionCallbackFailure') === 1
			? undefined
			: `expected one callback success and one failure, got ${count('SendDurableExecutionCallbackSuccess')} and ${count('SendDurableExecutionCallbackFailure')}`,
	].filter((problem): problem is string => problem !== undefined);
	return problems.length === 0 ? undefined : problems.join('; ');
}

function secretInLog(session: EditorSession): string | undefined {
	const log = readFileSync(join(session.userFolder, 'n8n-start.log'), 'utf8');
	return log.includes(DEFAULT_KEY.secretAccessKey) ? 'the secret access key appears in n8n\'s log' : undefined;
}

/** The approver's chat or mailbox on loopback: the example's notify node POSTs each form link here. */
class ApproverInbox {
	readonly received: FormLink[] = [];
	url = '';
	private constructor(private readonly server: Server) {}

	static async start(): Promise<ApproverInbox> {
		const inbox: ApproverInbox = new ApproverInbox(
			createServer((req, res) => {
				const chunks: Buffer[] = [];
				req.on('data', (chunk: Buffer) => chunks.push(chunk));
				req.on('end', () => {
					inbox.received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as FormLink);
					res.writeHead(200, { 'content-type': 'application/json' }).end('{"delivered":true}');
				});
			}),
		);
		await new Promise<void>((resolve) => inbox.server.listen(0, '127.0.0.1', resolve));
		inbox.url = `http://127.0.0.1:${(inbox.server.address() as AddressInfo).port}/approvals`;
		return inbox;
	}

	async waitFor(count: number, timeoutMs: number): Promise<FormLink[]> {
		const deadline = Date.now() + timeoutMs;
		while (this.received.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
		return [...this.received];
	}

	async stop(): Promise<void> {
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}
}
