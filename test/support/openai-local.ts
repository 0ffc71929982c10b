/**
 * A local OpenAI-compatible server for agent tests: n8n's OpenAI Chat Model node (typeVersion 1.2,
 * Chat Completions) talks to it through an `openAiApi` credential whose base URL is this server.
 * It answers with scripted turns instead of a model, records every request so a test can assert what
 * the "model" received, and listens on 127.0.0.1 only.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';

export const LOCAL_OPENAI_KEY = 'sk-local-openai-test-key';
export const LOCAL_MODEL = 'gpt-4.1-mini';

export interface ChatToolCall {
	id: string;
	type: 'function';
	function: { name: string; arguments: string };
}

export interface ChatMessage {
	role: 'system' | 'user' | 'assistant' | 'tool' | 'developer';
	content?: string | null | Array<{ type: string; text?: string }>;
	tool_calls?: ChatToolCall[];
	tool_call_id?: string;
}

export interface ChatTool {
	type: 'function';
	function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

export interface ChatRequest {
	model: string;
	messages: ChatMessage[];
	tools?: ChatTool[];
	stream?: boolean;
	stream_options?: { include_usage?: boolean };
}

/** The model calls a tool; `arguments` as an object is sent as its JSON text, a string as it is (to send broken JSON). */
export interface ToolCallTurn {
	tool: string;
	arguments: object | string;
}

/** The model's final answer. */
export interface AnswerTurn {
	answer: string;
}

export type Turn = ToolCallTurn | AnswerTurn;
export type ScriptedTurn = Turn | ((request: ChatRequest) => Turn);
/**
 * A list is indexed by the number of assistant messages already in the conversation, not by a
 * counter: a request the SDK retries gets the same turn again, and each conversation starts at turn 0.
 */
export type Script = ScriptedTurn[] | ((request: ChatRequest) => Turn);

export interface RecordedRequest {
	method: string;
	path: string;
	authorization?: string;
	body: unknown;
}

interface Reply {
	status: number;
	body: unknown;
}

const MODELS = { object: 'list', data: [{ id: LOCAL_MODEL, object: 'model', created: 0, owned_by: 'local' }] };
const USAGE = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };

export class LocalOpenAi {
	readonly requests: RecordedRequest[] = [];
	/** Base URL as the `openAiApi` credential's `url` field wants it (with /v1). */
	url = '';
	private script: Script = [];
	private calls = 0;
	private readonly sockets = new Set<Socket>();
	private server!: Server;

	static async start(): Promise<LocalOpenAi> {
		const openai = new LocalOpenAi();
		openai.server = createServer((req, res) => void openai.handle(req, res));
		openai.server.on('connection', (socket) => {
			openai.sockets.add(socket);
			socket.on('close', () => openai.sockets.delete(socket));
		});
		await new Promise<void>((resolve) => openai.server.listen(0, '127.0.0.1', resolve));
		openai.url = `http://127.0.0.1:${(openai.server.address() as { port: number }).port}/v1`;
		return openai;
	}

	/** Replaces the script and forgets earlier requests: one script per test. */
	useScript(script: Script): void {
		this.script = script;
		this.requests.length = 0;
	}

	chatRequests(): ChatRequest[] {
		return this.requests.filter((request) => request.path === '/v1/chat/completions').map((request) => request.body as ChatRequest);
	}

	async stop(): Promise<void> {
		for (const socket of this.sockets) socket.destroy();
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}

	private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const text = await readText(req);
		const path = (req.url ?? '/').split('?')[0];
		const body = parseJson(text);
		this.requests.push({ method: req.method ?? 'GET', path, authorization: req.headers.authorization, body: body ?? text });
		if (req.headers.authorization !== `Bearer ${LOCAL_OPENAI_KEY}`) {
			return send(res, apiError(401, 'invalid_api_key', `Send "Authorization: Bearer ${LOCAL_OPENAI_KEY}" (the openAiApi credential's API Key).`));
		}
		if (req.method === 'GET' && path === '/v1/models') return send(res, { status: 200, body: MODELS });
		if (req.method === 'POST' && path === '/v1/chat/completions') return this.complete(res, body as ChatRequest | undefined);
		return send(res, apiError(404, 'unknown_url', `${req.method} ${path} is not served here: use OpenAI Chat Model typeVersion 1.2 (Chat Completions).`));
	}

	private complete(res: ServerResponse, request: ChatRequest | undefined): void {
		if (!Array.isArray(request?.messages)) return send(res, apiError(400, 'invalid_request', 'The body must be JSON with a messages array.'));
		let turn: Turn;
		let message: ChatMessage;
		try {
			turn = this.nextTurn(request);
			message = this.assistantMessage(turn, request);
		} catch (error) {
			// 400, not 5xx: the OpenAI SDK retries 5xx, which would hide a broken script.
			return send(res, apiError(400, 'script_error', (error as Error).message));
		}
		const finishReason = 'tool' in turn ? 'tool_calls' : 'stop';
		if (request.stream) return stream(res, message, finishReason, request.stream_options?.include_usage === true);
		send(res, {
			status: 200,
			body: { id: `chatcmpl-${this.calls}`, object: 'chat.completion', created: 0, model: request.model, choices: [{ index: 0, finish_reason: finishReason, message }], usage: USAGE },
		});
	}

	private nextTurn(request: ChatRequest): Turn {
		if (typeof this.script === 'function') return this.script(request);
		const index = request.messages.filter((message) => message.role === 'assistant').length;
		const scripted = this.script[index];
		if (scripted === undefined) throw new Error(`The script has no turn ${index + 1} (it has ${this.script.length}); the conversation so far: ${JSON.stringify(request.messages).slice(0, 500)}`);
		return typeof scripted === 'function' ? scripted(request) : scripted;
	}

	private assistantMessage(turn: Turn, request: ChatRequest): ChatMessage {
		if ('answer' in turn) return { role: 'assistant', content: turn.answer };
		const offered = (request.tools ?? []).map((tool) => tool.function.name);
		if (!offered.includes(turn.tool)) throw new Error(`The script calls tool "${turn.tool}", but the request offers only [${offered.join(', ')}]: name the tool as n8n names it (the node name, non-word characters as _).`);
		this.calls += 1;
		const args = typeof turn.arguments === 'string' ? turn.arguments : JSON.stringify(turn.arguments);
		return { role: 'assistant', content: null, tool_calls: [{ id: `call_${this.calls}`, type: 'function', function: { name: turn.tool, arguments: args } }] };
	}
}

/** The tool results the conversation holds, oldest first, as the model received them (text). */
export function toolResults(request: ChatRequest): string[] {
	return request.messages.filter((message) => message.role === 'tool').map((message) => messageText(message));
}

export function lastToolResult(request: ChatRequest): string | undefined {
	return toolResults(request).at(-1);
}

/** A final answer that quotes the last tool result verbatim, so a test can read it from the agent's output. */
export function quoteLastToolResult(request: ChatRequest): AnswerTurn {
	return { answer: `TOOL RESULT: ${lastToolResult(request) ?? '(no tool result in the conversation)'}` };
}

function messageText(message: ChatMessage): string {
	if (typeof message.content === 'string') return message.content;
	if (Array.isArray(message.content)) return message.content.map((part) => part.text ?? '').join('');
	return '';
}

function apiError(status: number, code: string, message: string): Reply {
	return { status, body: { error: { message, type: 'invalid_request_error', param: null, code } } };
}

function send(res: ServerResponse, reply: Reply): void {
	res.writeHead(reply.status, { 'content-type': 'application/json' });
	res.end(JSON.stringify(reply.body));
}

/** Chat Completions streaming: the whole message in one delta, then the finish reason, then [DONE]. */
function stream(res: ServerResponse, message: ChatMessage, finishReason: string, includeUsage: boolean): void {
	res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
	const chunk = (choices: object[], extra: object = {}) =>
		res.write(`data: ${JSON.stringify({ id: 'chatcmpl-stream', object: 'chat.completion.chunk', created: 0, model: LOCAL_MODEL, choices, ...extra })}\n\n`);
	const toolCalls = message.tool_calls?.map((call, index) => ({ index, ...call }));
	chunk([{ index: 0, delta: { role: 'assistant', content: message.content ?? null, ...(toolCalls ? { tool_calls: toolCalls } : {}) }, finish_reason: null }]);
	chunk([{ index: 0, delta: {}, finish_reason: finishReason }]);
	if (includeUsage) chunk([], { usage: USAGE });
	res.end('data: [DONE]\n\n');
}

async function readText(req: IncomingMessage): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
	try {
		return JSON.parse(text) as unknown;
	} catch {
		return undefined;
	}
}
