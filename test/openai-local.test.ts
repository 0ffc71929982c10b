import type { ChatMessage, ChatRequest, ChatTool } from './support/openai-local';
import { LOCAL_MODEL, LOCAL_OPENAI_KEY, LocalOpenAi, quoteLastToolResult } from './support/openai-local';

const TOOL: ChatTool = { type: 'function', function: { name: 'Invoke_orders', description: 'Invokes orders', parameters: { type: 'object' } } };
const USER: ChatMessage = { role: 'user', content: 'What is in order 42?' };

let openai: LocalOpenAi;
beforeAll(async () => {
	openai = await LocalOpenAi.start();
});
afterAll(async () => {
	await openai.stop();
});

async function post(path: string, body: unknown, key = LOCAL_OPENAI_KEY) {
	const response = await fetch(`${openai.url}${path}`, {
		method: 'POST',
		headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
		body: JSON.stringify(body),
	});
	return { status: response.status, json: (await response.json()) as Record<string, any> };
}

function chat(messages: ChatMessage[], extra: Partial<ChatRequest> = {}) {
	return post('/chat/completions', { model: LOCAL_MODEL, messages, tools: [TOOL], ...extra });
}

/** The conversation after the first turn: the model's tool call and the tool's answer. */
function afterToolCall(toolCall: Record<string, any>, result: string): ChatMessage[] {
	return [USER, { role: 'assistant', content: null, tool_calls: [toolCall as any] }, { role: 'tool', tool_call_id: toolCall.id, content: result }];
}

describe('local OpenAI-compatible server', () => {
	it('listens on loopback with a /v1 base URL', () => {
		expect(openai.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
	});

	it('lists the local model for the editor and the credential test', async () => {
		openai.useScript([]);
		const response = await fetch(`${openai.url}/models`, { headers: { authorization: `Bearer ${LOCAL_OPENAI_KEY}` } });
		expect(response.status).toBe(200);
		expect(((await response.json()) as { data: Array<{ id: string }> }).data.map((model) => model.id)).toEqual([LOCAL_MODEL]);
		expect(openai.requests).toEqual([{ method: 'GET', path: '/v1/models', authorization: `Bearer ${LOCAL_OPENAI_KEY}`, body: '' }]);
	});

	it('refuses another API key and says which one to send', async () => {
		openai.useScript([{ answer: 'never sent' }]);
		const response = await chat([USER], {});
		expect(response.status).toBe(200);
		const refused = await post('/chat/completions', { model: LOCAL_MODEL, messages: [USER] }, 'sk-wrong');
		expect(refused.status).toBe(401);
		expect(refused.json.error.message).toContain(LOCAL_OPENAI_KEY);
	});

	it('answers a tool call first, then quotes the tool result it was given', async () => {
		openai.useScript([{ tool: 'Invoke_orders', arguments: { function_name: 'orders', payload: { orderId: 42 } } }, quoteLastToolResult]);
		const first = await chat([USER]);
		expect(first.status).toBe(200);
		const [choice] = first.json.choices;
		expect(choice.finish_reason).toBe('tool_calls');
		const [toolCall] = choice.message.tool_calls;
		expect(toolCall.function.name).toBe('Invoke_orders');
		expect(JSON.parse(toolCall.function.arguments)).toEqual({ function_name: 'orders', payload: { orderId: 42 } });

		const second = await chat(afterToolCall(toolCall, '[{"statusCode":200,"payload":{"total":9.5}}]'));
		expect(second.json.choices[0]).toMatchObject({ finish_reason: 'stop', message: { role: 'assistant', content: 'TOOL RESULT: [{"statusCode":200,"payload":{"total":9.5}}]' } });
		expect(second.json.usage.total_tokens).toBeGreaterThan(0);
	});

	it('records every request body, so a test can read what the model received', async () => {
		openai.useScript([{ tool: 'Invoke_orders', arguments: {} }, { answer: 'done' }]);
		const first = await chat([USER]);
		await chat(afterToolCall(first.json.choices[0].message.tool_calls[0], 'the function result'));
		const requests = openai.chatRequests();
		expect(requests).toHaveLength(2);
		expect(requests[0].messages).toEqual([USER]);
		expect(requests[1].messages.at(-1)).toEqual(expect.objectContaining({ role: 'tool', content: 'the function result' }));
	});

	it('picks the turn by the conversation, so a retried request gets the same turn again', async () => {
		openai.useScript([{ tool: 'Invoke_orders', arguments: { n: 1 } }, { answer: 'second' }]);
		const first = await chat([USER]);
		const retried = await chat([USER]);
		expect(retried.json.choices[0].message.tool_calls[0].function.arguments).toBe(first.json.choices[0].message.tool_calls[0].function.arguments);
		const answered = await chat(afterToolCall(first.json.choices[0].message.tool_calls[0], 'x'));
		expect(answered.json.choices[0].message.content).toBe('second');
	});

	it('passes each request to a scripted function, e.g. to recover only after seeing an error', async () => {
		openai.useScript((request) => (request.messages.some((message) => message.role === 'tool' && String(message.content).includes('TypeError')) ? { tool: 'Invoke_orders', arguments: { retry: true } } : { answer: 'no error seen' }));
		const sawError = await chat(afterToolCall({ id: 'call_9', type: 'function', function: { name: 'Invoke_orders', arguments: '{}' } }, '[{"error":"TypeError: boom"}]'));
		expect(JSON.parse(sawError.json.choices[0].message.tool_calls[0].function.arguments)).toEqual({ retry: true });
		const sawNothing = await chat(afterToolCall({ id: 'call_9', type: 'function', function: { name: 'Invoke_orders', arguments: '{}' } }, ''));
		expect(sawNothing.json.choices[0].message.content).toBe('no error seen');
	});

	it('sends string arguments as they are, to script broken JSON', async () => {
		openai.useScript([{ tool: 'Invoke_orders', arguments: '{"payload": ' }]);
		const response = await chat([USER]);
		expect(response.json.choices[0].message.tool_calls[0].function.arguments).toBe('{"payload": ');
	});

	it('refuses a script that calls a tool the request does not offer, naming the offered tools (400, which the SDK does not retry)', async () => {
		openai.useScript([{ tool: 'AWS_Lambda', arguments: {} }]);
		const response = await chat([USER]);
		expect(response.status).toBe(400);
		expect(response.json.error.message).toContain('"AWS_Lambda"');
		expect(response.json.error.message).toContain('[Invoke_orders]');
	});

	it('refuses a conversation longer than the script, quoting it', async () => {
		openai.useScript([{ answer: 'only one' }]);
		const response = await chat([USER, { role: 'assistant', content: 'earlier' }]);
		expect(response.status).toBe(400);
		expect(response.json.error.message).toMatch(/no turn 2 \(it has 1\).*What is in order 42/);
	});

	it('streams a tool call as Chat Completions chunks when asked to', async () => {
		openai.useScript([{ tool: 'Invoke_orders', arguments: { orderId: 42 } }]);
		const response = await fetch(`${openai.url}/chat/completions`, {
			method: 'POST',
			headers: { authorization: `Bearer ${LOCAL_OPENAI_KEY}` },
			body: JSON.stringify({ model: LOCAL_MODEL, messages: [USER], tools: [TOOL], stream: true, stream_options: { include_usage: true } }),
		});
		expect(response.headers.get('content-type')).toBe('text/event-stream');
		const events = (await response.text()).split('\n\n').filter(Boolean).map((event) => event.replace(/^data: /, ''));
		expect(events.at(-1)).toBe('[DONE]');
		const chunks = events.slice(0, -1).map((event) => JSON.parse(event));
		expect(chunks[0].choices[0].delta.tool_calls[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'Invoke_orders', arguments: '{"orderId":42}' } });
		expect(chunks[1].choices[0].finish_reason).toBe('tool_calls');
		expect(chunks[2].usage.total_tokens).toBeGreaterThan(0);
	});

	it('answers routes the pinned model node does not use with 404, so a misconfigured node shows up', async () => {
		openai.useScript([]);
		const response = await post('/responses', { model: LOCAL_MODEL, input: 'hi' });
		expect(response.status).toBe(404);
		expect(response.json.error.message).toContain('typeVersion 1.2');
		expect(openai.requests.map((request) => request.path)).toEqual(['/v1/responses']);
	});
});
