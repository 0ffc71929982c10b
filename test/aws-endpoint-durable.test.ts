/** The local endpoint's durable functions, driven by the real SDK client: its deserializers check every shape. */
import {
	GetDurableExecutionCommand,
	GetDurableExecutionHistoryCommand,
	InvokeCommand,
	LambdaClient,
	ListDurableExecutionsByFunctionCommand,
	SendDurableExecutionCallbackFailureCommand,
	SendDurableExecutionCallbackHeartbeatCommand,
	SendDurableExecutionCallbackSuccessCommand,
	StopDurableExecutionCommand,
} from '@aws-sdk/client-lambda';
import type { GetDurableExecutionCommandOutput } from '@aws-sdk/client-lambda';

import { Approver } from './support/approver';
import { DEFAULT_KEY, LocalAws } from './support/aws-endpoint';

let aws: LocalAws;
let client: LambdaClient;
let approver: Approver;

beforeAll(async () => {
	aws = await LocalAws.start({ quiet: true });
	approver = new Approver();
	await approver.start();
	client = new LambdaClient({ region: 'us-east-1', endpoint: aws.url, credentials: DEFAULT_KEY, maxAttempts: 1 });
});
afterAll(async () => {
	client.destroy();
	await approver.stop();
	await aws.stop();
});
beforeEach(() => {
	aws.clearLog();
	aws.durable.clock.msPerSecond = 1000;
});

const text = (payload?: Uint8Array) => Buffer.from(payload ?? []).toString('utf8');

async function start(name: string | undefined, payload: Record<string, unknown>, functionName = 'durable-approval:$LATEST') {
	const started = await client.send(
		new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', DurableExecutionName: name, Payload: JSON.stringify(payload) }),
	);
	return started.DurableExecutionArn as string;
}

async function get(arn: string, includeData = true): Promise<GetDurableExecutionCommandOutput> {
	return await client.send(new GetDurableExecutionCommand({ DurableExecutionArn: arn, IncludeExecutionData: includeData }));
}

async function until(arn: string, status: string): Promise<GetDurableExecutionCommandOutput> {
	for (;;) {
		const execution = await get(arn);
		if (execution.Status === status) return execution;
		if (execution.Status !== 'RUNNING') throw new Error(`execution ended ${execution.Status}, expected ${status}`);
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

async function rejection(promise: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
	try {
		await promise;
	} catch (error) {
		const err = error as Error & { $metadata?: { httpStatusCode?: number } };
		return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
	}
	throw new Error('expected a rejection');
}

async function history(arn: string, includeData = true) {
	const answer = await client.send(new GetDurableExecutionHistoryCommand({ DurableExecutionArn: arn, IncludeExecutionData: includeData }));
	return answer.Events ?? [];
}

describe('Invoke of a durable function', () => {
	it('starts an execution, answers its ARN and runs it to SUCCEEDED on a synchronous call', async () => {
		const answer = await client.send(new InvokeCommand({ FunctionName: 'durable-approval', Qualifier: '1', DurableExecutionName: 'order-sync-1', Payload: '{"orderId":"A-1"}' }));
		expect(answer.StatusCode).toBe(200);
		expect(answer.ExecutedVersion).toBe('1');
		expect(answer.DurableExecutionArn).toMatch(/^arn:aws:lambda:us-east-1:123456789012:function:durable-approval:1\/durable-execution\/order-sync-1\/[a-z0-9]+$/);
		expect(JSON.parse(text(answer.Payload))).toEqual({ orderId: 'A-1', status: 'processed' });
		const execution = await get(answer.DurableExecutionArn as string);
		expect(execution).toMatchObject({ Status: 'SUCCEEDED', DurableExecutionName: 'order-sync-1', Version: '1', InputPayload: '{"orderId":"A-1"}', ExecutionDataIncluded: true });
		expect(execution.StartTimestamp).toBeInstanceOf(Date);
		expect(execution.EndTimestamp).toBeInstanceOf(Date);
		expect(execution.DurableConfig).toEqual({ ExecutionTimeout: 3600, RetentionPeriodInDays: 14 });
		expect(aws.log.every((entry) => entry.signatureValid && entry.service === 'lambda')).toBe(true);
	});

	it('returns the existing execution for the same name and payload, and refuses another payload', async () => {
		const before = aws.durable.started;
		const first = await start('order-idem-1', { orderId: 'B-1' });
		const again = await start('order-idem-1', { orderId: 'B-1' });
		expect(again).toBe(first);
		expect(aws.durable.started - before).toBe(1);
		const refused = await rejection(start('order-idem-1', { orderId: 'B-2' }));
		expect(refused).toMatchObject({ name: 'DurableExecutionAlreadyStartedException', status: 409 });
		expect(refused.message).toContain('different input payload');
	});

	it('refuses a bad name, an unqualified call, and a durable name on a plain function', async () => {
		const badName = await rejection(start('has space', {}));
		const unqualified = await rejection(start('x-1', {}, 'durable-approval'));
		const plain = await rejection(client.send(new InvokeCommand({ FunctionName: 'echo', DurableExecutionName: 'x-2', Payload: '{}' })));
		expect([badName.name, unqualified.name, plain.name]).toEqual(['InvalidParameterValueException', 'InvalidParameterValueException', 'InvalidParameterValueException']);
		expect(plain.message).toContain('not a durable function');
		expect(unqualified.message).toContain('Qualifier');
	});

	it('without a name, gives each start its own execution', async () => {
		const first = await start(undefined, { orderId: 'C-1' });
		const second = await start(undefined, { orderId: 'C-1' });
		expect(first).not.toBe(second);
	});
});

describe('callbacks', () => {
	it('hands the callback ID out, resumes on success with the result, and closes the callback', async () => {
		const arn = await start('order-cb-ok', { orderId: 'D-1', callbackUrl: approver.url });
		const callbackId = await approver.callbackFor(arn);
		expect(callbackId).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
		expect((await get(arn)).Status).toBe('RUNNING');
		await client.send(new SendDurableExecutionCallbackHeartbeatCommand({ CallbackId: callbackId }));
		await client.send(new SendDurableExecutionCallbackSuccessCommand({ CallbackId: callbackId, Result: Buffer.from('{"approved":true,"by":"ana"}') }));
		const done = await until(arn, 'SUCCEEDED');
		expect(JSON.parse(done.Result as string)).toEqual({ orderId: 'D-1', status: 'approved', decision: { approved: true, by: 'ana' } });
		const twice = await rejection(client.send(new SendDurableExecutionCallbackSuccessCommand({ CallbackId: callbackId, Result: Buffer.from('{}') })));
		expect(twice).toMatchObject({ name: 'CallbackTimeoutException', status: 400 });
		expect(aws.log.filter((entry) => entry.action.startsWith('SendDurableExecutionCallback')).every((entry) => entry.signatureValid)).toBe(true);
	});

	it('fails the execution with the callback failure', async () => {
		const arn = await start('order-cb-fail', { orderId: 'E-1', callbackUrl: approver.url });
		const callbackId = await approver.callbackFor(arn);
		await client.send(new SendDurableExecutionCallbackFailureCommand({ CallbackId: callbackId, Error: { ErrorType: 'Rejected', ErrorMessage: 'Budget exceeded', ErrorData: '{"limit":100}' } }));
		const failed = await until(arn, 'FAILED');
		expect(failed.Error).toEqual({ ErrorType: 'Rejected', ErrorMessage: 'Budget exceeded', ErrorData: '{"limit":100}' });
		const events = (await history(arn)).map((event) => event.EventType);
		expect(events).toEqual(['ExecutionStarted', 'StepStarted', 'StepSucceeded', 'CallbackStarted', 'CallbackFailed', 'ExecutionFailed']);
	});

	it('times a callback out when heartbeats stop, and a late heartbeat is refused', async () => {
		aws.durable.clock.msPerSecond = 50;
		const arn = await start('order-cb-heartbeat', { orderId: 'F-1', callbackUrl: approver.url, heartbeatTimeoutSeconds: 4 });
		const callbackId = await approver.callbackFor(arn);
		await client.send(new SendDurableExecutionCallbackHeartbeatCommand({ CallbackId: callbackId }));
		const failed = await until(arn, 'FAILED');
		expect(failed.Error?.ErrorType).toBe('Callback.Timeout');
		expect((await history(arn)).map((event) => event.EventType)).toContain('CallbackTimedOut');
		expect(aws.durable.callbacksOf(arn)[0]).toMatchObject({ state: 'TIMED_OUT', heartbeats: 1 });
		const late = await rejection(client.send(new SendDurableExecutionCallbackHeartbeatCommand({ CallbackId: callbackId })));
		expect(late.name).toBe('CallbackTimeoutException');
	});

	it('refuses an unknown and a malformed callback ID', async () => {
		const unknown = await rejection(client.send(new SendDurableExecutionCallbackHeartbeatCommand({ CallbackId: 'dW5rbm93bg==' })));
		const malformed = await rejection(client.send(new SendDurableExecutionCallbackHeartbeatCommand({ CallbackId: 'not base64!' })));
		expect([unknown.name, malformed.name]).toEqual(['ResourceNotFoundException', 'InvalidParameterValueException']);
	});

	it('refuses a result over the model limit of 262,144 bytes', async () => {
		const arn = await start('order-cb-large', { orderId: 'G-1', callbackUrl: approver.url });
		const callbackId = await approver.callbackFor(arn);
		const large = await rejection(client.send(new SendDurableExecutionCallbackSuccessCommand({ CallbackId: callbackId, Result: Buffer.alloc(262_145, 'a') })));
		expect(large.name).toBe('RequestTooLargeException');
		expect((await get(arn)).Status).toBe('RUNNING');
	});
});

describe('stop, timeout, history and list', () => {
	it('stops a running execution with its error, then refuses a second stop and its callback', async () => {
		const arn = await start('order-stop', { orderId: 'H-1', callbackUrl: approver.url });
		const callbackId = await approver.callbackFor(arn);
		const stopped = await client.send(new StopDurableExecutionCommand({ DurableExecutionArn: arn, Error: { ErrorType: 'Cancelled', ErrorMessage: 'Order withdrawn' } }));
		expect(stopped.StopTimestamp).toBeInstanceOf(Date);
		expect(await get(arn)).toMatchObject({ Status: 'STOPPED', Error: { ErrorType: 'Cancelled', ErrorMessage: 'Order withdrawn' } });
		const again = await rejection(client.send(new StopDurableExecutionCommand({ DurableExecutionArn: arn })));
		expect(again.name).toBe('InvalidParameterValueException');
		expect(again.message).toContain('not running');
		const late = await rejection(client.send(new SendDurableExecutionCallbackSuccessCommand({ CallbackId: callbackId })));
		expect(late.name).toBe('CallbackTimeoutException');
	});

	it('times an execution out after its ExecutionTimeout', async () => {
		aws.durable.clock.msPerSecond = 50;
		const arn = await start('order-timeout', { orderId: 'I-1', waitSeconds: 100 }, 'durable-short:$LATEST');
		const timedOut = await until(arn, 'TIMED_OUT');
		expect(timedOut.Error?.ErrorType).toBe('Execution.TimedOut');
		const events = await history(arn);
		expect(events.map((event) => event.EventType)).toEqual(['ExecutionStarted', 'StepStarted', 'StepSucceeded', 'WaitStarted', 'ExecutionTimedOut']);
		expect(events[3].WaitStartedDetails?.ScheduledEndTimestamp).toBeInstanceOf(Date);
	});

	it('pages the history and leaves payloads out without execution data', async () => {
		const arn = await start('order-history', { orderId: 'J-1', secretNote: 'in-the-input' });
		await until(arn, 'SUCCEEDED');
		const first = await client.send(new GetDurableExecutionHistoryCommand({ DurableExecutionArn: arn, MaxItems: 2 }));
		const rest = await client.send(new GetDurableExecutionHistoryCommand({ DurableExecutionArn: arn, Marker: first.NextMarker }));
		expect([...(first.Events ?? []), ...(rest.Events ?? [])].map((event) => event.EventId)).toEqual([1, 2, 3, 4]);
		expect(rest.NextMarker).toBeUndefined();
		const bare = await history(arn, false);
		expect(JSON.stringify(bare)).not.toContain('in-the-input');
		expect(bare[0].ExecutionStartedDetails?.ExecutionTimeout).toBe(3600);
		const reversed = await client.send(new GetDurableExecutionHistoryCommand({ DurableExecutionArn: arn, ReverseOrder: true }));
		expect(reversed.Events?.[0].EventType).toBe('ExecutionSucceeded');
		const withoutData = await get(arn, false);
		expect(withoutData.InputPayload).toBeUndefined();
		expect(withoutData.ExecutionDataIncluded).toBe(false);
	});

	it('lists a function’s executions with filters and markers', async () => {
		const names = ['list-a', 'list-b', 'list-c'];
		const arns = [];
		for (const name of names) arns.push(await start(name, { orderId: name }, 'durable-approval:live'));
		for (const arn of arns) await until(arn, 'SUCCEEDED');
		const running = await start('list-running', { orderId: 'list-running', callbackUrl: approver.url }, 'durable-approval:1');
		const pages: string[] = [];
		let marker: string | undefined;
		do {
			const page = await client.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: 'durable-approval', Qualifier: '1', MaxItems: 2, Marker: marker }));
			pages.push(...(page.DurableExecutions ?? []).map((execution) => execution.DurableExecutionName as string));
			marker = page.NextMarker;
		} while (marker);
		expect(pages.filter((name) => name.startsWith('list-'))).toEqual([...names, 'list-running']);
		const onlyRunning = await client.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: 'durable-approval:1', Statuses: ['RUNNING', 'STOPPED'] }));
		expect(onlyRunning.DurableExecutions?.map((execution) => execution.DurableExecutionArn)).toContain(running);
		expect(onlyRunning.DurableExecutions?.every((execution) => execution.Status === 'RUNNING' || execution.Status === 'STOPPED')).toBe(true);
		const byName = await client.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: 'durable-approval', Qualifier: '1', DurableExecutionName: 'list-b', ReverseOrder: true }));
		expect(byName.DurableExecutions?.map((execution) => execution.DurableExecutionName)).toEqual(['list-b']);
		expect(byName.DurableExecutions?.[0].StartTimestamp).toBeInstanceOf(Date);
		const future = await client.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: 'durable-approval', Qualifier: '1', StartedAfter: new Date(Date.now() + 60_000) }));
		expect(future.DurableExecutions).toEqual([]);
		await client.send(new StopDurableExecutionCommand({ DurableExecutionArn: running }));
	});

	it('refuses unknown executions, malformed ARNs, plain functions and forged markers', async () => {
		const unknownArn = 'arn:aws:lambda:us-east-1:123456789012:function:durable-approval:$LATEST/durable-execution/nope/abc123';
		const unknown = await rejection(get(unknownArn));
		const malformed = await rejection(get('arn:aws:lambda:us-east-1:123456789012:function:durable-approval'));
		const plain = await rejection(client.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: 'echo' })));
		const missing = await rejection(client.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: 'no-such-function' })));
		const forged = await rejection(client.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: 'durable-approval', Marker: 'Zm9yZ2Vk' })));
		const otherRegion = await rejection(
			new LambdaClient({ region: 'eu-west-1', endpoint: aws.url, credentials: DEFAULT_KEY, maxAttempts: 1 }).send(
				new GetDurableExecutionCommand({ DurableExecutionArn: await start('order-region', {}) }),
			),
		);
		expect([unknown.name, malformed.name, plain.name, missing.name, forged.name, otherRegion.name]).toEqual([
			'ResourceNotFoundException',
			'InvalidParameterValueException',
			'InvalidParameterValueException',
			'ResourceNotFoundException',
			'InvalidParameterValueException',
			'ResourceNotFoundException',
		]);
		expect(plain.message).toContain('not a durable function');
	});

	it('checks the signature of every durable call', async () => {
		const wrongSecret = new LambdaClient({ region: 'us-east-1', endpoint: aws.url, credentials: { ...DEFAULT_KEY, secretAccessKey: 'wrong-secret' }, maxAttempts: 1 });
		const refused = await rejection(wrongSecret.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: 'durable-approval' })));
		wrongSecret.destroy();
		expect(refused.name).toBe('InvalidSignatureException');
		expect(aws.log.at(-1)).toMatchObject({ action: 'ListDurableExecutionsByFunction', signatureValid: false });
	});
});
