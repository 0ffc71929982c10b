/**
 * The node as an AI Agent tool in real n8n (issue #17): n8n's AI Agent node, its OpenAI Chat Model
 * node pointed at a local OpenAI-compatible server with scripted turns, and `awsLambdaTool` (the tool
 * variant n8n generates from `usableAsTool`) filled by `$fromAI()`. Each case checks what reached AWS
 * (the local endpoint's log) and what reached the model (the server's recorded requests and the
 * agent's final answer, which quotes the tool result it was given). Last, the Invoke workflow is run
 * from the editor with Execute workflow, for the README's screenshots of the canvas and the tool's panel.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { IDataObject, INode, IWorkflowBase } from 'n8n-workflow';
import type { Page } from 'puppeteer-core';

import type { LocalAws, RequestLogEntry } from '../support/aws-endpoint';
import { DEFAULT_KEY } from '../support/aws-endpoint';
import { fixtureFunctions } from '../support/aws-endpoint/functions';
import { repoRoot } from '../support/examples';
import { accessKeyCredential } from '../support/lambda-node';
import type { ChatRequest, Script, Turn } from '../support/openai-local';
import { LOCAL_MODEL, LOCAL_OPENAI_KEY, LocalOpenAi, lastToolResult, quoteLastToolResult, toolResults } from '../support/openai-local';
import type { EditorCheck, EditorSession } from './editor';
import { canvasNode, openWorkflow, PANEL_VIEWPORT, screenshot, withBrowserPage, withEditor } from './editor';
import type { CommandResult, N8nLine, RecordCheck } from './n8n';
import { n8nEnv, parseRawOutput, runN8n, tail } from './n8n';

const AWS_CREDENTIAL = { id: 'agentAwsAccessKey', name: 'AWS Lambda (Access Key) for the agent' };
const OPENAI_CREDENTIAL = { id: 'agentLocalOpenAi', name: 'Local OpenAI-compatible server' };
const AGENT = 'AI Agent';
const INVOKE_TOOL = 'Invoke Lambda';
const LIST_TOOL = 'List Lambda functions';
/** n8n names a tool after its node, every character outside [a-zA-Z0-9_-] replaced by _. */
const toolName = (nodeName: string) => nodeName.replace(/[^a-zA-Z0-9_-]+/g, '_');
/** What every operation's tool was described as before issue #17. */
const GENERIC_DESCRIPTION = 'List and invoke AWS Lambda functions';
/** Values the model must never see: the credential's secret and the fixture functions' environment values. */
const SECRETS = [DEFAULT_KEY.secretAccessKey, 'fixture-db-password'];
const SHOWN_CHARACTERS = 400;

interface AgentRun {
	result: CommandResult;
	/** The agent's final answer, undefined when the run failed. */
	answer?: string;
	failure?: string;
	chats: ChatRequest[];
	aws: LocalAws;
}

interface AgentCase {
	slug: string;
	title: string;
	tool: INode;
	script: Script;
	verify: (run: AgentRun) => string | undefined;
}

/** Agent 2.2 calls tools through LangChain (the legacy path); Agent 3 and 3.1 through n8n's engine requests. */
function agentVersions(line: N8nLine): number[] {
	return line.slug.startsWith('n8n-2.') ? [2.2, 3, 3.1] : [2.2, 3];
}

function lambdaTool(name: string, parameters: IDataObject): INode {
	return {
		id: `tool-${toolName(name)}`,
		name,
		type: 'n8n-nodes-aws-lambda.awsLambdaTool',
		typeVersion: 1,
		position: [440, 220],
		parameters: { authentication: 'accessKey', region: 'us-east-1', options: {}, ...parameters },
		credentials: { awsLambdaAccessKeyApi: AWS_CREDENTIAL },
	};
}

const invokeTool = lambdaTool(INVOKE_TOOL, {
	operation: 'invoke',
	functionName: { __rl: true, mode: 'name', value: "={{ $fromAI('function_name', 'Name of the Lambda function to invoke', 'string') }}" },
	invocationType: 'RequestResponse',
	payload: "={{ $fromAI('payload', 'The JSON event object the function receives', 'json') }}",
	// With a default, the model may leave it out.
	options: { qualifier: "={{ $fromAI('qualifier', 'Version or alias to run, empty for $LATEST', 'string', '') }}" },
});

const listTool = lambdaTool(LIST_TOOL, {
	operation: 'listFunctions',
	returnAll: false,
	maxItems: "={{ $fromAI('max_items', 'How many functions to list, 1 to 50', 'number') }}",
});

/** What `n8n import:workflow` needs; the database fills in the rest. */
type AgentWorkflow = Pick<IWorkflowBase, 'name' | 'nodes' | 'connections' | 'settings' | 'active'> & { id: string };

function agentWorkflow(agentVersion: number, agentCase: AgentCase): AgentWorkflow {
	const { tool } = agentCase;
	return {
		id: `e2eAgent${agentCase.slug}V${String(agentVersion).replace('.', '_')}`,
		name: `AI Agent ${agentVersion} with the AWS Lambda tool: ${agentCase.slug}`,
		active: false,
		settings: { executionOrder: 'v1' },
		nodes: [
			{ id: 'start', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			{
				id: 'agent',
				name: AGENT,
				type: '@n8n/n8n-nodes-langchain.agent',
				typeVersion: agentVersion,
				position: [220, 0],
				// A manual trigger has no chatInput: the prompt must be defined here.
				parameters: { promptType: 'define', text: 'Use the AWS Lambda tool to answer: what does order 42 contain?', options: {} },
			},
			{
				id: 'model',
				name: 'OpenAI Chat Model',
				type: '@n8n/n8n-nodes-langchain.lmChatOpenAi',
				// 1.2 speaks Chat Completions; 1.3 defaults to the Responses API.
				typeVersion: 1.2,
				position: [200, 220],
				parameters: { model: { __rl: true, mode: 'id', value: LOCAL_MODEL }, options: {} },
				credentials: { openAiApi: OPENAI_CREDENTIAL },
			},
			tool,
		],
		connections: {
			Start: { main: [[{ node: AGENT, type: 'main', index: 0 }]] },
			'OpenAI Chat Model': { ai_languageModel: [[{ node: AGENT, type: 'ai_languageModel', index: 0 }]] },
			[tool.name]: { ai_tool: [[{ node: AGENT, type: 'ai_tool', index: 0 }]] },
		},
	};
}

const ORDER = { orderId: 42, customer: 'ACME', lines: [{ sku: 'A-1', qty: 2 }] };
const INVOKE_CALL = { function_name: 'echo', payload: ORDER, qualifier: 'live' };

function invokeCase(): AgentCase {
	return {
		slug: 'Invoke',
		title: 'Invoke as a tool with $fromAI function name, payload and qualifier',
		tool: invokeTool,
		script: [{ tool: toolName(INVOKE_TOOL), arguments: INVOKE_CALL }, quoteLastToolResult],
		verify: (run) =>
			failed(run) ??
			invokedExactly(run.aws, [INVOKE_CALL]) ??
			modelReceived(run, 1, (result) => containsValue(parseJson(result), ORDER), 'the function\'s response (its event echoed)') ??
			answerQuotesLastToolResult(run),
	};
}

interface FailingCall {
	call: LambdaCall;
	/** Whether the model was shown this failure: the scripted model recovers only then. */
	shown: (result: string) => boolean;
	/** Whether the model got it in the form issue #17 asks for. */
	complete: (result: string) => boolean;
	what: string;
}

/** The model calls a failing function, is shown the error as the tool's answer, calls echo instead and answers. */
function recoveryCase(slug: string, title: string, failing: FailingCall): AgentCase {
	const recovery = { function_name: 'echo', payload: { ...failing.call.payload, retriedAfter: failing.call.function_name } };
	const tool = toolName(INVOKE_TOOL);
	const script = (request: ChatRequest): Turn => {
		const [first, second] = toolResults(request);
		if (first === undefined) return { tool, arguments: failing.call };
		if (second === undefined) return failing.shown(first) ? { tool, arguments: recovery } : { answer: `NO ERROR SEEN: ${first}` };
		return quoteLastToolResult(request);
	};
	return {
		slug,
		title,
		tool: invokeTool,
		script,
		verify: (run) =>
			failed(run) ??
			modelReceived(run, 1, failing.complete, failing.what) ??
			invokedExactly(run.aws, [failing.call, recovery]) ??
			modelReceived(run, 2, (result) => containsValue(parseJson(result), recovery.payload), 'the recovery call\'s response') ??
			answerQuotesLastToolResult(run),
	};
}

const functionErrorCase = () =>
	recoveryCase('FunctionError', 'function error reaches the model as the tool result, and the model recovers', {
		call: { function_name: 'fail', payload: { orderId: 7 } },
		shown: (result) => /TypeError/.test(result) && /boom/.test(result),
		complete: (result) => containsMatching(parseJson(result), (value) => value.errorType === 'TypeError' && typeof value.errorMessage === 'string' && value.errorMessage.includes('boom')),
		what: 'the function error with its errorType (TypeError) and errorMessage (boom …) as fields',
	});

const awsErrorCase = () =>
	recoveryCase('AwsError', 'AWS error (function not found) reaches the model with its fix, and the model recovers', {
		call: { function_name: 'no-such-function', payload: { orderId: 8 } },
		shown: (result) => /not found/i.test(result),
		// The fix the node gives for ResourceNotFoundException.
		complete: (result) => /not found/i.test(result) && /check the function name/i.test(result),
		what: 'the AWS error (function not found) with its fix (check the function name …)',
	});

function listCase(): AgentCase {
	// ListFunctions answers in name order, and the generated fn-* functions sort after these fixtures.
	const expected = fixtureFunctions(0)
		.map((fn) => fn.name)
		.slice(0, 3);
	return {
		slug: 'List',
		title: 'List Functions as a tool with $fromAI max items',
		tool: listTool,
		script: [{ tool: toolName(LIST_TOOL), arguments: { max_items: expected.length } }, quoteLastToolResult],
		verify: (run) =>
			failed(run) ??
			listedOnce(run.aws, expected.length) ??
			modelReceived(run, 1, (result) => isDeepStrictEqual(functionNames(parseJson(result)), expected), `the first ${expected.length} functions (${expected.join(', ')})`) ??
			answerQuotesLastToolResult(run),
	};
}

function failed(run: AgentRun): string | undefined {
	if (run.answer !== undefined && run.result.status === 0) return undefined;
	return `the agent run failed (exit ${run.result.status}): ${run.failure ?? 'no execution data'}; the model received ${describeToolResults(run)}`;
}

interface LambdaCall {
	function_name: string;
	payload: object;
	qualifier?: string;
}

function invokedExactly(aws: LocalAws, calls: LambdaCall[]): string | undefined {
	const invokes = aws.log.filter((entry) => entry.action === 'Invoke');
	const sent = invokes.map((entry) => ({
		function_name: entry.functionName,
		payload: parseJson(entry.payload ?? ''),
		...(entry.qualifier === undefined ? {} : { qualifier: entry.qualifier }),
	}));
	return isDeepStrictEqual(sent, calls) ? undefined : `expected AWS to receive exactly the model's calls ${JSON.stringify(calls)}, got ${JSON.stringify(sent)}`;
}

function listedOnce(aws: LocalAws, maxItems: number): string | undefined {
	const lists = aws.log.filter((entry: RequestLogEntry) => entry.action === 'ListFunctions');
	return lists.length === 1 && lists[0].query.MaxItems === String(maxItems)
		? undefined
		: `expected one ListFunctions with MaxItems=${maxItems} (the model's max_items), got ${JSON.stringify(lists.map((entry) => entry.query))}`;
}

/** The tool result the model was given in its (turn+1)-th request: the conversation then holds `turn` tool results. */
function modelReceived(run: AgentRun, turn: number, accept: (result: string) => boolean, what: string): string | undefined {
	const request = run.chats.find((chat) => toolResults(chat).length === turn);
	const result = request && lastToolResult(request);
	if (result !== undefined && accept(result)) return undefined;
	return `expected the model's tool result ${turn} to be ${what}; the model received ${describeToolResults(run)}`;
}

function answerQuotesLastToolResult(run: AgentRun): string | undefined {
	const last = run.chats.at(-1);
	const quoted = last && quoteLastToolResult(last).answer;
	return run.answer === quoted ? undefined : `expected the agent's answer to quote the last tool result, got ${JSON.stringify(run.answer?.slice(0, SHOWN_CHARACTERS))}`;
}

function leakedSecrets(run: AgentRun): string | undefined {
	const seen = JSON.stringify(run.chats) + run.result.stdout + run.result.stderr;
	const leaked = SECRETS.filter((secret) => seen.includes(secret));
	return leaked.length ? `${leaked.length} secret value(s) reached the model or n8n's output` : undefined;
}

function unsignedRequests(aws: LocalAws): string | undefined {
	const unsigned = aws.log.filter((entry) => !entry.signatureValid).length;
	return unsigned ? `${unsigned} AWS request(s) with an invalid signature` : undefined;
}

/** What the model received as tool results, to report (each cut to a few hundred characters). */
function describeToolResults(run: AgentRun): string {
	const last = run.chats.at(-1);
	const results = last ? toolResults(last) : [];
	if (results.length === 0) return 'no tool result';
	return results.map((result, index) => `#${index + 1} ${result === '' ? '"" (empty string)' : JSON.stringify(result.slice(0, SHOWN_CHARACTERS))}`).join(', ');
}

function parseJson(text: string): unknown {
	try {
		return JSON.parse(text) as unknown;
	} catch {
		return undefined;
	}
}

function containsValue(haystack: unknown, needle: unknown): boolean {
	return containsMatching(haystack, (value) => isDeepStrictEqual(value, needle));
}

/** Whether the value, or an object or array anywhere inside it, matches. */
function containsMatching(value: unknown, matches: (value: IDataObject) => boolean): boolean {
	if (typeof value !== 'object' || value === null) return false;
	return matches(value as IDataObject) || Object.values(value).some((inner) => containsMatching(inner, matches));
}

function functionNames(value: unknown): string[] {
	if (typeof value !== 'object' || value === null) return [];
	const own = typeof (value as IDataObject).FunctionName === 'string' ? [(value as IDataObject).FunctionName as string] : [];
	return [...own, ...Object.values(value).flatMap(functionNames)];
}

interface TaskData {
	data?: { main?: Array<Array<{ json: IDataObject }>> };
}

function agentOutcome(result: CommandResult): Pick<AgentRun, 'answer' | 'failure'> {
	const resultData = (parseRawOutput(result.stdout)?.data as IDataObject | undefined)?.resultData as IDataObject | undefined;
	const tasks = (resultData?.runData as { [node: string]: TaskData[] } | undefined)?.[AGENT] ?? [];
	const answer = tasks.at(-1)?.data?.main?.[0]?.[0]?.json.output;
	const error = resultData?.error as IDataObject | undefined;
	const failure = error ? `${String(error.message)}${error.description ? ` (${String(error.description).split('\n')[0]})` : ''}` : result.status === 0 ? undefined : tail(result);
	return { answer: typeof answer === 'string' ? answer : undefined, failure };
}

/** The model must be able to tell the operations apart: each tool's description is its own. */
function checkToolDescriptions(descriptions: Map<string, string | undefined>): string | undefined {
	const texts = [...descriptions.values()];
	const distinct = new Set(texts).size === texts.length && texts.every((text) => text && text !== GENERIC_DESCRIPTION);
	return distinct ? undefined : `expected a distinct description per operation, the model was offered ${JSON.stringify(Object.fromEntries(descriptions))}`;
}

function offeredDescription(chats: ChatRequest[], name: string): string | undefined {
	return chats[0]?.tools?.find((tool) => tool.function.name === name)?.function.description;
}

async function importFixtures(line: N8nLine, userFolder: string, aws: LocalAws, openai: LocalOpenAi, workflows: AgentWorkflow[]): Promise<string | undefined> {
	const credentialsFile = join(userFolder, 'agent-credentials.json');
	writeFileSync(
		credentialsFile,
		JSON.stringify([
			{ ...AWS_CREDENTIAL, type: 'awsLambdaAccessKeyApi', data: accessKeyCredential(aws) },
			{ ...OPENAI_CREDENTIAL, type: 'openAiApi', data: { apiKey: LOCAL_OPENAI_KEY, url: openai.url } },
		]),
	);
	const credentials = await runN8n(line, userFolder, ['import:credentials', `--input=${credentialsFile}`]);
	if (credentials.status !== 0) return `import:credentials failed\n${tail(credentials)}`;
	const workflowsDir = join(userFolder, 'agent-workflows');
	mkdirSync(workflowsDir, { recursive: true });
	for (const workflow of workflows) writeFileSync(join(workflowsDir, `${workflow.id}.json`), JSON.stringify(workflow));
	const imported = await runN8n(line, userFolder, ['import:workflow', '--separate', `--input=${workflowsDir}`]);
	return imported.status === 0 ? undefined : `import:workflow failed\n${tail(imported)}`;
}

async function executeCase(line: N8nLine, userFolder: string, aws: LocalAws, openai: LocalOpenAi, workflowId: string, agentCase: AgentCase): Promise<AgentRun> {
	aws.clearLog();
	openai.useScript(agentCase.script);
	const result = await runN8n(line, userFolder, ['execute', `--id=${workflowId}`, '--rawOutput']);
	return { result, ...agentOutcome(result), chats: openai.chatRequests(), aws };
}

/** Tall enough for the tool's panel to show its $fromAI fields and, below them, the Tool Description. */
const TOOL_PANEL_VIEWPORT = { width: 1400, height: 1150 };
/** What the tool's panel must show: the fields the model fills, and the Tool Description with the operation's default text. */
const TOOL_PANEL_TEXTS = ["$fromAI('function_name'", "$fromAI('payload'", "$fromAI('qualifier'", 'Tool Description', 'Invokes an AWS Lambda function'];
const EXECUTION_SUCCEEDED = 'Workflow executed successfully';
const EXECUTION_FAILED = /Problem in node|Problem running workflow/;
const EXECUTE_WORKFLOW_BUTTON = '[data-test-id="execute-workflow-button"]';
// Conditions evaluated in the page, written as strings because this file compiles without the DOM types.
const succeededOnCanvas = (nodeName: string) => `document.querySelector(${JSON.stringify(`${canvasNode(nodeName)} [data-test-id="canvas-node-status-success"]`)})`;
/** n8n's button is busy while the workflow runs. */
const executeButtonIdle = `document.querySelector(${JSON.stringify(EXECUTE_WORKFLOW_BUTTON)})?.getAttribute('aria-busy') !== 'true'`;
/** Endless animations (a running node's spinner) would never end. */
const FINITE_ANIMATIONS_DONE = 'document.getAnimations().every((animation) => animation.effect?.getTiming().iterations === Infinity)';

/** The README shows the agent as a user sees it: the Invoke workflow run from the editor, and the tool's panel. */
async function checkInEditor(line: N8nLine, userFolder: string, aws: LocalAws, openai: LocalOpenAi, workflow: AgentWorkflow, record: RecordCheck): Promise<void> {
	aws.clearLog();
	openai.useScript(invokeCase().script);
	const started = performance.now();
	const screenshots = join(repoRoot(), 'docs', 'screenshots');
	const checks = await withEditor({ bin: line.bin, env: await n8nEnv(line, userFolder), userFolder }, (session) =>
		withBrowserPage(session, PANEL_VIEWPORT, async (page) => {
			const executed = await executeInEditor(page, session, workflow, aws, join(screenshots, `${line.slug}-agent-workflow.png`));
			if (executed.problem) return [executed];
			return [executed, await screenshotToolPanel(page, join(screenshots, `${line.slug}-agent-tool-node.png`))];
		}),
	);
	for (const check of checks) record(`agent in the editor: ${check.name}`, check.problem, started);
}

async function executeInEditor(page: Page, session: EditorSession, workflow: AgentWorkflow, aws: LocalAws, file: string): Promise<EditorCheck> {
	const name = `Execute workflow runs "${workflow.name}" (${basename(file)})`;
	await openWorkflow(page, session, workflow.id, AGENT);
	await page.locator(EXECUTE_WORKFLOW_BUTTON).click();
	const outcome = await page.waitForFunction(
		`(${[AGENT, INVOKE_TOOL].map(succeededOnCanvas).join(' && ')} && ${executeButtonIdle} && document.body.innerText.includes(${JSON.stringify(EXECUTION_SUCCEEDED)})) ? 'succeeded' : ${EXECUTION_FAILED}.test(document.body.innerText) ? 'failed' : false`,
		{ timeout: 120_000 },
	);
	// The success toast and the edges' item counts slide in after the run ends.
	await page.waitForFunction(FINITE_ANIMATIONS_DONE, { timeout: 10_000 });
	await screenshot(page, file);
	if ((await outcome.jsonValue()) !== 'succeeded') return { name, problem: `the execution failed in the editor: ${await notifications(page)}` };
	return { name, problem: invokedExactly(aws, [INVOKE_CALL]) ?? unsignedRequests(aws) };
}

async function screenshotToolPanel(page: Page, file: string): Promise<EditorCheck> {
	await page.setViewport(TOOL_PANEL_VIEWPORT);
	const tool = await page.waitForSelector(canvasNode(INVOKE_TOOL), { timeout: 30_000 });
	await tool?.click({ count: 2 });
	await page.waitForFunction('document.body.innerText.includes("Tool Description")', { timeout: 30_000 });
	await screenshot(page, file);
	// A text area's content is its value, not its text.
	const text = `${await visibleText(page)}\n${(await page.evaluate('[...document.querySelectorAll("textarea")].map((area) => area.value).join("\\n")')) as string}`;
	const missing = TOOL_PANEL_TEXTS.filter((expected) => !text.includes(expected));
	return {
		name: `the tool's panel shows its $fromAI fields and its Tool Description (${basename(file)})`,
		problem: missing.length ? `not visible in the tool's panel: ${missing.join(', ')}` : undefined,
	};
}

/** The editor's toasts: where n8n says which node failed and why. */
async function notifications(page: Page): Promise<string> {
	return (await page.evaluate('[...document.querySelectorAll(".el-notification")].map((toast) => toast.innerText.replace(/\\s+/g, " ").trim()).join(" | ")')) as string;
}

async function visibleText(page: Page): Promise<string> {
	return (await page.evaluate('document.body.innerText')) as string;
}

export async function runAgentChecks(line: N8nLine, userFolder: string, aws: LocalAws, record: RecordCheck): Promise<void> {
	const openai = await LocalOpenAi.start();
	try {
		const cases = [invokeCase(), functionErrorCase(), awsErrorCase(), listCase()];
		const runs = agentVersions(line).flatMap((version) =>
			cases.map((agentCase) => ({ version, agentCase, workflow: agentWorkflow(version, agentCase) })),
		);
		let started = performance.now();
		const importProblem = await importFixtures(line, userFolder, aws, openai, runs.map((run) => run.workflow));
		record(`agent: import the OpenAI credential and ${runs.length} agent workflows`, importProblem, started);
		if (importProblem) return;

		const descriptions = new Map<string, string | undefined>();
		for (const { version, agentCase, workflow } of runs) {
			started = performance.now();
			const run = await executeCase(line, userFolder, aws, openai, workflow.id, agentCase);
			const problem = agentCase.verify(run) ?? leakedSecrets(run) ?? unsignedRequests(aws);
			record(`agent ${version}: ${agentCase.title}`, problem, started);
			console.log(`    model received: ${describeToolResults(run)}`);
			descriptions.set(agentCase.tool.name, offeredDescription(run.chats, toolName(agentCase.tool.name)));
		}
		record('agent: each operation\'s tool has its own description', checkToolDescriptions(descriptions), performance.now());
		console.log(`    tool descriptions offered to the model: ${JSON.stringify(Object.fromEntries(descriptions))}`);

		const newestInvoke = runs.filter((run) => run.agentCase.slug === 'Invoke').at(-1);
		if (newestInvoke) await checkInEditor(line, userFolder, aws, openai, newestInvoke.workflow, record);
	} finally {
		await openai.stop();
	}
}
