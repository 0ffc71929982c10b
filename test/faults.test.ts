import { createServer } from 'node:net';

import type { LocalAws } from './support/aws-endpoint';
import { DEFAULT_ROLE_ARN } from './support/aws-endpoint';
import { accessKeyCredential, assumeRoleCredential, invokeParameters, runLambda, useLocalAws } from './support/lambda-node';

let aws: LocalAws;
useLocalAws({}, (server) => {
	aws = server;
});

const invokes = () => aws.log.filter((entry) => entry.action === 'Invoke');
const items = (count: number) => Array.from({ length: count }, (_, i) => ({ i }));

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as { port: number };
	await new Promise((resolve) => server.close(resolve));
	return port;
}

describe('Throttling and AWS-side errors', () => {
	it('retries 429 (with and without Retry-After) and loses or repeats no item', async () => {
		aws.faults.throttle(2, { retryAfterSeconds: 1 });
		aws.faults.throttle(2);
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', { options: { sendInputItem: true, maxAttempts: 5 } }),
			items: items(6),
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => (item.json.payload as any).event.i)).toEqual([0, 1, 2, 3, 4, 5]);
		expect(invokes().filter((entry) => entry.status === 429)).toHaveLength(4);
		expect(invokes().filter((entry) => entry.status === 200)).toHaveLength(6);
	});

	it('keeps retrying throttled invocations beyond the SDK retry quota: each success refunds its retry', async () => {
		// The SDK's quota allows 100 throttling retries in all unless successes give their cost back.
		aws.faults.throttle(105, { match: { action: 'Invoke', firstAttemptOnly: true } });
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', { options: { concurrency: 10 } }),
			items: items(105),
		});
		expect(result.error).toBeUndefined();
		expect(invokes().filter((entry) => entry.status === 429)).toHaveLength(105);
		expect(invokes().filter((entry) => entry.status === 200)).toHaveLength(105);
	});

	it('gives up after Max Attempts with a clear throttling error', async () => {
		aws.faults.throttle(10);
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', { options: { maxAttempts: 2 } }),
		});
		expect(result.error?.message).toMatch(/throttled the request.*after 2 attempt/);
		expect(result.error?.description).toMatch(/Concurrency/);
		expect(invokes()).toHaveLength(2);
	});

	it('retries 5xx answers up to Max Attempts', async () => {
		aws.faults.serverError(1);
		const recovered = await runLambda(aws, { parameters: invokeParameters('echo') });
		expect(recovered.error).toBeUndefined();
		expect(invokes().map((entry) => entry.status)).toEqual([500, 200]);

		aws.clearLog();
		aws.faults.serverError(10);
		const failed = await runLambda(aws, { parameters: invokeParameters('echo', { options: { maxAttempts: 3 } }) });
		expect(failed.error?.message).toMatch(/internal error after 3 attempt/);
		expect(invokes()).toHaveLength(3);
	});

	it('maps a 413 from AWS to the payload limits', async () => {
		aws.faults.serverError(1, { status: 413, errorType: 'RequestTooLargeException' });
		const result = await runLambda(aws, { parameters: invokeParameters('echo') });
		expect(result.error?.message).toMatch(/larger than AWS Lambda accepts/);
		expect(result.error?.description).toMatch(/6 MB/);
	});
});

describe('Answers from a proxy or gateway between n8n and AWS', () => {
	const gatewayAnswers = [
		{ status: 504, html: false },
		{ status: 502, html: true },
		{ status: 503, html: false },
		{ status: 429, html: true },
		// Half of AWS's mark is not AWS's answer: a proxy may pass a request id on, or name an error type.
		{ status: 504, html: false, requestId: true },
		{ status: 503, html: false, errorType: 'ServiceUnavailable' },
		// A JSON answer with a numeric code and a passed-on request id: the SDK names the error "502".
		{ status: 502, html: false, json: true, requestId: true },
	];

	it.each(['RequestResponse', 'Event'])('never replays a %s invocation a proxy answered without an AWS error type', async (invocationType) => {
		for (const answer of gatewayAnswers) {
			aws.clearLog();
			aws.faults.gatewayError(1, answer);
			const result = await runLambda(aws, {
				parameters: invokeParameters('echo', { invocationType, options: { maxAttempts: 3 } }),
				continueOnFail: true,
			});
			expect({ answer, statuses: invokes().map((entry) => entry.status) }).toEqual({ answer, statuses: [answer.status] });
			expect({ answer, error: typeof result.items[0].json.error }).toEqual({ answer, error: 'string' });
		}
	});

	it.each([
		['Stop', 'stop', 'StopDurableExecution'],
		['a callback', 'sendCallbackHeartbeat', 'SendDurableExecutionCallbackHeartbeat'],
	])('never sends %s again after a proxy answered without an AWS error type', async (_name, operation, action) => {
		aws.faults.gatewayError(1, { status: 504, match: { action } });
		const result = await runLambda(aws, {
			parameters: {
				resource: 'durableExecution',
				operation,
				region: 'us-east-1',
				executionArn: 'arn:aws:lambda:us-east-1:123456789012:function:durable-approval:$LATEST/durable-execution/order-1/1a2b3c',
				callbackId: 'cHJveHktY2FsbGJhY2stMQ==',
			},
		});
		expect(aws.log.filter((entry) => entry.action === action).map((entry) => entry.status)).toEqual([504]);
		expect(result.error?.message).toMatch(/a proxy or gateway between n8n and AWS answered HTTP 504/);
	});

	it('says a proxy or gateway answered and that the function may have run behind it', async () => {
		aws.faults.gatewayError(1, { status: 504, html: true });
		const result = await runLambda(aws, { parameters: invokeParameters('echo', { options: { maxAttempts: 3 } }) });
		expect(result.error?.message).toMatch(/^Invoke echo failed \(item 0\): a proxy or gateway between n8n and AWS answered HTTP 504 without an AWS error$/);
		expect(result.error?.description).toMatch(/may already have run.*not retried/);
		expect(invokes()).toHaveLength(1);
	});

	it('still replays an AWS 5xx error document after a proxy answer would not be', async () => {
		aws.faults.serverError(2, { status: 503, errorType: 'ServiceException' });
		const result = await runLambda(aws, { parameters: invokeParameters('echo', { options: { maxAttempts: 3 } }) });
		expect(result.error).toBeUndefined();
		expect(invokes().map((entry) => entry.status)).toEqual([503, 503, 200]);
	});
});

describe('Network faults', () => {
	it('retries a refused connection (nothing was sent), then names the failure', async () => {
		const port = await closedPort();
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo'),
			credentials: { awsLambdaAccessKeyApi: accessKeyCredential(aws, undefined, { lambdaEndpoint: `http://127.0.0.1:${port}` }) },
		});
		expect(result.error?.message).toMatch(/could not reach the AWS endpoint: the connection was refused/);
	});

	it('names a refused STS connection as the step that failed, not as a malformed STS answer', async () => {
		const port = await closedPort();
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', { authentication: 'assumeRole' }),
			credentials: { awsLambdaAssumeRoleApi: assumeRoleCredential(aws, { stsEndpoint: `http://127.0.0.1:${port}` }) },
		});
		expect(result.error?.message).toBe(
			`Assume role failed (item 0): could not reach the AWS endpoint: the connection was refused (while assuming ${DEFAULT_ROLE_ARN})`,
		);
		expect(invokes()).toHaveLength(0);
	});

	it('never replays a synchronous invocation whose connection dropped after the response headers', async () => {
		aws.faults.resetConnection(1, { afterFunctionRuns: true, stage: 'afterHeaders' });
		const result = await runLambda(aws, { parameters: invokeParameters('echo') });
		expect(result.error?.message).toMatch(/connection was closed before AWS answered/);
		expect(result.error?.description).toMatch(/not retried/);
		expect(invokes()).toHaveLength(1);
	});

	it('never replays a synchronous invocation whose connection dropped mid-body', async () => {
		aws.faults.resetConnection(1, { afterFunctionRuns: true, stage: 'midBody' });
		const result = await runLambda(aws, { parameters: invokeParameters('echo'), continueOnFail: true });
		expect(result.items[0].json.error).toMatch(/connection was closed before AWS answered/);
		expect(invokes()).toHaveLength(1);
	});

	it('never replays an Event invocation whose connection dropped before the answer', async () => {
		aws.faults.resetConnection(1, { afterFunctionRuns: true, stage: 'beforeHeaders' });
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', { invocationType: 'Event' }),
			continueOnFail: true,
		});
		expect(result.items[0].json.error).toMatch(/connection was closed/);
		expect(invokes()).toHaveLength(1);
	});

	it('takes an Event invocation whose connection dropped after the headers as accepted, and runs it once', async () => {
		// AWS answers an Event with 202 and no body: once the headers are in, the answer is complete.
		aws.faults.resetConnection(1, { afterFunctionRuns: true, stage: 'afterHeaders' });
		const result = await runLambda(aws, { parameters: invokeParameters('echo', { invocationType: 'Event' }) });
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.statusCode).toBe(202);
		expect(invokes()).toHaveLength(1);
	});

	it('replays a DryRun (nothing runs) after a dropped connection', async () => {
		aws.faults.resetConnection(1);
		const result = await runLambda(aws, { parameters: invokeParameters('echo', { invocationType: 'DryRun' }) });
		expect(result.error).toBeUndefined();
		expect(invokes()).toHaveLength(2);
	});

	it('gives up on a hung endpoint within the Timeout option, and never hangs', async () => {
		aws.faults.hang(1);
		const result = await runLambda(aws, { parameters: invokeParameters('echo', { options: { timeout: 1 } }) });
		expect(result.error?.message).toMatch(/no complete answer within the Timeout of 1 seconds/);
		expect(invokes()).toHaveLength(1);
	});

	it('counts the response download in the Timeout: a body that stops arriving fails the item', async () => {
		aws.faults.announceLength(1, { bytes: 1000 });
		const result = await runLambda(aws, { parameters: invokeParameters('echo', { options: { timeout: 1 } }) });
		expect(result.error?.message).toMatch(/Invoke echo failed \(item 0\): no complete answer within the Timeout of 1 seconds/);
		expect(result.error?.description).toMatch(/response download/);
		expect(invokes()).toHaveLength(1);
	});

	it('counts the waits between attempts in the Timeout: a throttled invocation stops at it', async () => {
		aws.faults.throttle(5, { retryAfterSeconds: 3 });
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', { options: { timeout: 1, maxAttempts: 5 } }),
		});
		expect(result.error?.message).toMatch(/no complete answer within the Timeout of 1 seconds/);
		expect(invokes()).toHaveLength(1);
	});
});

describe('Response size', () => {
	it('refuses announced bodies far over the limit per item, before setting memory aside for them', async () => {
		aws.faults.announceLength(4, { bytes: 3_900_000_000 });
		const before = process.memoryUsage().arrayBuffers;
		const result = await runLambda(aws, {
			// A Timeout, so that a collector that did allocate gives up and the memory can be measured.
			parameters: invokeParameters('echo', { options: { concurrency: 4, timeout: 5 } }),
			items: items(4),
			continueOnFail: true,
		});
		const grewBy = process.memoryUsage().arrayBuffers - before;
		expect(grewBy).toBeLessThan(1024 * 1024 * 1024);
		expect(result.items.map((item) => item.json.error)).toEqual(
			[0, 1, 2, 3].map((i) =>
				expect.stringMatching(new RegExp(`^Invoke echo failed \\(item ${i}\\): the response announces 3719\\.3 MB .* over the 6\\.1 MB`)),
			),
		);
		expect(result.items[0].json.description).toMatch(/at most 6 MB/);
	});

	it('refuses a body on an Event invocation, which AWS answers without one', async () => {
		aws.faults.announceLength(1, { bytes: 1_000_000 });
		const result = await runLambda(aws, { parameters: invokeParameters('echo', { invocationType: 'Event' }) });
		expect(result.error?.message).toMatch(/announces 1\.0 MB .* over the 0\.1 MB/);
	});
});

describe('Continue On Fail and concurrency', () => {
	const mixed = [{ fn: 'echo' }, { fn: 'no-such-function' }, { fn: 'fail' }, { fn: 'pending-fn' }, { fn: 'echo' }];
	const byItem = invokeParameters('echo', {
		functionName: { __rl: true, mode: 'name', value: '={{ $json.fn }}' },
	});

	it('turns every failing item into an error item paired with its input; the others succeed', async () => {
		const result = await runLambda(aws, { parameters: byItem, items: mixed, continueOnFail: true });
		expect(result.items.map((item) => item.pairedItem)).toEqual(mixed.map((_, item) => ({ item })));
		expect(result.items.map((item) => ('error' in item.json ? 'error' : 'ok'))).toEqual([
			'ok',
			'error',
			'error',
			'error',
			'ok',
		]);
		expect(result.items[1].json.error).toMatch(/item 1/);
		expect(result.items[3].json.error).toMatch(/item 3/);
	});

	it('without Continue On Fail, the first failure stops the node and names its item', async () => {
		const result = await runLambda(aws, {
			parameters: { ...byItem, options: { concurrency: 1 } },
			items: mixed,
		});
		expect(result.items).toHaveLength(0);
		expect(result.error?.message).toMatch(/\(item 1\)/);
		expect(invokes().map((entry) => entry.functionName)).toEqual(['echo', 'no-such-function']);
	});

	it('keeps input order at any concurrency, even when later items finish first', async () => {
		const durations = [120, 10, 80, 5, 60, 1, 40, 20];
		const result = await runLambda(aws, {
			parameters: invokeParameters('slow', {
				payload: '={{ JSON.stringify({ ms: $json.ms }) }}',
				options: { concurrency: 8 },
			}),
			items: durations.map((ms) => ({ ms })),
		});
		expect(result.items.map((item) => (item.json.payload as any).sleptMs)).toEqual(durations);
		expect(result.items.map((item) => item.pairedItem)).toEqual(durations.map((_, item) => ({ item })));
	});

	it('stops in-flight invocations and starts no new ones when the execution is cancelled', async () => {
		const controller = new AbortController();
		setTimeout(() => controller.abort(), 300);
		const started = Date.now();
		const result = await runLambda(aws, {
			parameters: invokeParameters('slow', { payload: '{"ms": 2000}', options: { concurrency: 4 } }),
			items: items(40),
			signal: controller.signal,
		});
		expect(Date.now() - started).toBeLessThan(1900);
		expect(result.items.length).toBeLessThan(40);
		expect(invokes().length).toBeLessThanOrEqual(4);
	});
});
