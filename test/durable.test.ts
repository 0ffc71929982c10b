/** The Durable Execution resource and Invoke's durable option, run in n8n's engine against the local endpoint. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { INode, INodeParameters, IWorkflowBase } from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';

import { Approver } from './support/approver';
import { repoRoot } from './support/examples';
import type { LocalAws } from './support/aws-endpoint';
import { DEFAULT_KEY } from './support/aws-endpoint';
import { accessKeyCredential, assumeRoleCredential, everythingVisible, invokeParameters, runLambda, toolVariant, useLocalAws } from './support/lambda-node';

let aws: LocalAws;
useLocalAws({}, (server) => {
	aws = server;
});
const approver = new Approver();
beforeAll(async () => await approver.start());
afterAll(async () => await approver.stop());
beforeEach(() => {
	aws.durable.clock.msPerSecond = 1000;
});

const durable = (operation: string, extra: INodeParameters = {}): INodeParameters => ({
	resource: 'durableExecution',
	operation,
	region: 'us-east-1',
	...extra,
});

const durableCalls = () => aws.log.filter((entry) => /Durable/.test(entry.action));
const executionGets = () => durableCalls().filter((entry) => entry.action === 'GetDurableExecution').length;
const waitedSeconds = (message: string | undefined) => Number(/after waiting (\d+) seconds$/.exec(message ?? '')?.[1]);

/** Starts an execution through the node (Event, so it answers at once) and returns its ARN. */
async function startThroughNode(name: string, payload: Record<string, unknown>, functionName = 'durable-approval:$LATEST'): Promise<string> {
	const result = await runLambda(aws, {
		parameters: invokeParameters(functionName, { invocationType: 'Event', payload: JSON.stringify(payload), options: { durableExecutionName: name } }),
	});
	expect(result.error).toBeUndefined();
	return result.items[0].json.durableExecutionArn as string;
}

async function waitingForApproval(name: string): Promise<{ arn: string; callbackId: string }> {
	const arn = await startThroughNode(name, { orderId: name, callbackUrl: approver.url });
	return { arn, callbackId: await approver.callbackFor(arn) };
}

describe('Invoke with a Durable Execution Name', () => {
	it('runs the function once when the same name and payload start twice, in one run and in two', async () => {
		const before = aws.durable.started;
		const payload = '{"orderId":"K-1"}';
		const parameters = invokeParameters('durable-approval:1', { payload, options: { durableExecutionName: '={{ "order-" + $json.orderId }}' } });
		const first = await runLambda(aws, { parameters, items: [{ orderId: 'K-1' }, { orderId: 'K-1' }] });
		// A crashed worker's re-run of the same item:
		const rerun = await runLambda(aws, { parameters, items: [{ orderId: 'K-1' }] });
		expect(first.error).toBeUndefined();
		expect(aws.durable.started - before).toBe(1);
		const arns = [...first.items, ...rerun.items].map((item) => item.json.durableExecutionArn);
		expect(new Set(arns).size).toBe(1);
		expect(arns[0]).toMatch(/:function:durable-approval:1\/durable-execution\/order-K-1\//);
		expect(rerun.items[0].json.payload).toEqual({ orderId: 'K-1', status: 'processed' });
	});

	it('says clearly when the name is taken by another payload', async () => {
		await startThroughNode('order-K-2', { orderId: 'K-2' });
		const result = await runLambda(aws, {
			parameters: invokeParameters('durable-approval:$LATEST', { invocationType: 'Event', payload: '{"orderId":"other"}', options: { durableExecutionName: 'order-K-2' } }),
		});
		expect(result.error?.message).toMatch(/a durable execution with this name already started with a different payload/);
		expect(result.error?.description).toMatch(/Give each durable execution its own name/);
	});

	it('refuses a bad name before any request', async () => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('durable-approval:$LATEST', { options: { durableExecutionName: '={{ $json.name }}' } }),
			items: [{ name: 'ok-name' }, { name: 'not ok!' }],
		});
		expect(result.error?.message).toBe('Durable Execution Name (item 1): "not ok!" is not a durable execution name');
		expect(aws.log).toHaveLength(0);
	});
});

describe('Get', () => {
	it('returns AWS fields with InputPayload and Result parsed, and leaves data out on request', async () => {
		const arn = await startThroughNode('get-1', { orderId: 'L-1' });
		const full = await runLambda(aws, { parameters: durable('get', { executionArn: arn, options: { waitForCompletion: true, pollIntervalSeconds: 1 } }) });
		expect(full.error).toBeUndefined();
		expect(full.items[0].json).toMatchObject({
			DurableExecutionArn: arn,
			DurableExecutionName: 'get-1',
			Status: 'SUCCEEDED',
			InputPayload: { orderId: 'L-1' },
			Result: { orderId: 'L-1', status: 'processed' },
			StartTimestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
		});
		const bare = await runLambda(aws, { parameters: durable('get', { executionArn: arn, options: { includeExecutionData: false } }) });
		expect(bare.items[0].json.InputPayload).toBeUndefined();
		expect(bare.items[0].json.ExecutionDataIncluded).toBe(false);
	});

	it('waits for each terminal status and returns a FAILED execution as an item, not an error', async () => {
		aws.durable.clock.msPerSecond = 100;
		const failed = await startThroughNode('wait-failed', { orderId: 'M-1', waitSeconds: 5, failWith: 'Out of stock' });
		const timedOut = await startThroughNode('wait-timeout', { orderId: 'M-2', waitSeconds: 100 }, 'durable-short:$LATEST');
		const { arn: stopped } = await waitingForApproval('wait-stopped');
		setTimeout(() => aws.durable.execution(stopped)?.stop({ ErrorType: 'Cancelled' }), 300);
		const result = await runLambda(aws, {
			parameters: durable('get', { executionArn: '={{ $json.arn }}', options: { waitForCompletion: true, pollIntervalSeconds: 1, maxWaitSeconds: 30 } }),
			items: [{ arn: failed }, { arn: timedOut }, { arn: stopped }],
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.Status)).toEqual(['FAILED', 'TIMED_OUT', 'STOPPED']);
		expect(result.items[0].json.Error).toMatchObject({ ErrorType: 'OrderRejected', ErrorMessage: 'Out of stock' });
	});

	it('waits the whole Max Wait, polls once more at its end, and says how long it waited', async () => {
		const { arn } = await waitingForApproval('wait-expires');
		aws.clearLog();
		const failed = await runLambda(aws, { parameters: durable('get', { executionArn: arn, options: { waitForCompletion: true, pollIntervalSeconds: 1, maxWaitSeconds: 2 } }) });
		expect(failed.error?.message).toMatch(/^Get durable execution failed \(item 0\): still RUNNING after waiting \d+ seconds$/);
		expect(failed.error?.description).toMatch(/Raise Max Wait/);
		expect(waitedSeconds(failed.error?.message)).toBeGreaterThanOrEqual(2);
		expect(waitedSeconds(failed.error?.message)).toBeLessThanOrEqual(3);
		expect(executionGets()).toBeGreaterThanOrEqual(3);
	});

	it('with a Poll Interval over Max Wait, still waits Max Wait and checks at its end; Continue On Fail returns the last status', async () => {
		const { arn } = await waitingForApproval('wait-long-poll');
		aws.clearLog();
		const parameters = durable('get', { executionArn: arn, options: { waitForCompletion: true, pollIntervalSeconds: 5, maxWaitSeconds: 1 } });
		const tolerated = await runLambda(aws, { parameters, continueOnFail: true });
		expect(tolerated.items[0].json).toMatchObject({ lastStatus: 'RUNNING', durableExecutionArn: arn, error: expect.stringMatching(/still RUNNING/) });
		expect(waitedSeconds(tolerated.items[0].json.error as string)).toBe(1);
		expect(executionGets()).toBe(2);
	});

	it('refuses a poll interval under one second before any request', async () => {
		const { arn } = await waitingForApproval('wait-fast-poll');
		aws.clearLog();
		const result = await runLambda(aws, { parameters: durable('get', { executionArn: arn, options: { waitForCompletion: true, pollIntervalSeconds: 0.2 } }) });
		expect(result.error?.message).toBe('Poll Interval (item 0): 0.2 is not a whole number from 1 to 31622400');
		expect(aws.log).toHaveLength(0);
	});

	it('stops waiting when the execution is cancelled', async () => {
		const { arn } = await waitingForApproval('wait-cancelled');
		const controller = new AbortController();
		setTimeout(() => controller.abort(), 300);
		const started = Date.now();
		const result = await runLambda(aws, {
			parameters: durable('get', { executionArn: arn, options: { waitForCompletion: true, pollIntervalSeconds: 60, maxWaitSeconds: 600 } }),
			signal: controller.signal,
		});
		expect(result.status).toBe('canceled');
		expect(Date.now() - started).toBeLessThan(30_000);
		expect(durableCalls().filter((entry) => entry.action === 'GetDurableExecution')).toHaveLength(1);
	});

	it('validates every Execution ARN before the first request', async () => {
		const arn = await startThroughNode('validate-arn', { orderId: 'N-1' });
		aws.clearLog();
		const result = await runLambda(aws, {
			parameters: durable('get', { executionArn: '={{ $json.arn }}' }),
			items: [{ arn }, { arn: 'arn:aws:lambda:us-east-1:123456789012:function:durable-approval' }],
		});
		expect(result.error?.message).toMatch(/^Execution ARN \(item 1\): ".*" is not a durable execution ARN$/);
		expect(aws.log).toHaveLength(0);
	});

	it('names an unknown execution and takes the Region from the ARN', async () => {
		const unknown = 'arn:aws:lambda:us-east-1:123456789012:function:durable-approval:$LATEST/durable-execution/nope/abc';
		const result = await runLambda(aws, { parameters: durable('get', { executionArn: unknown, region: 'eu-west-1' }) });
		expect(result.error?.message).toMatch(/no such durable execution/);
		expect(durableCalls()[0].region).toBe('us-east-1');
	});

	it('retries a read that AWS refused with a 5xx', async () => {
		const arn = await startThroughNode('get-retried', { orderId: 'O-1' });
		aws.clearLog();
		aws.faults.serverError(1, { match: { action: 'GetDurableExecution' } });
		const result = await runLambda(aws, { parameters: durable('get', { executionArn: arn }) });
		expect(result.error).toBeUndefined();
		expect(durableCalls().map((entry) => entry.status)).toEqual([500, 200]);
	});
});

describe('List and Get History', () => {
	it('lists one function\'s executions with filters, paging and Return All', async () => {
		for (const name of ['list-x', 'list-y', 'list-z']) await startThroughNode(name, { orderId: name }, 'durable-approval:live');
		const page = await runLambda(aws, {
			parameters: durable('list', { functionName: { __rl: true, mode: 'name', value: 'durable-approval:1' }, returnAll: false, maxItems: 2, marker: '' }),
		});
		expect(page.items).toHaveLength(2);
		expect(page.items[1].json.NextMarker).toEqual(expect.any(String));
		const all = await runLambda(aws, {
			parameters: durable('list', {
				functionName: { __rl: true, mode: 'name', value: 'durable-approval:1' },
				returnAll: true,
				filters: { reverseOrder: true, statuses: ['SUCCEEDED', 'RUNNING'], startedAfter: new Date(Date.now() - 3_600_000).toISOString() },
			}),
		});
		const names = all.items.map((item) => item.json.DurableExecutionName);
		expect(names.slice(0, 3)).toEqual(['list-z', 'list-y', 'list-x']);
		expect(all.items.every((item) => !('NextMarker' in item.json))).toBe(true);
		const byName = await runLambda(aws, {
			parameters: durable('list', { functionName: { __rl: true, mode: 'name', value: 'durable-approval:1' }, returnAll: true, filters: { durableExecutionName: 'list-y' } }),
		});
		expect(byName.items.map((item) => item.json.DurableExecutionName)).toEqual(['list-y']);
	});

	it('an empty page with more after it is one item holding NextMarker, so the workflow can page on', async () => {
		const arn = await startThroughNode('history-empty-page', { orderId: 'P-2' });
		await runLambda(aws, { parameters: durable('get', { executionArn: arn, options: { waitForCompletion: true, pollIntervalSeconds: 1 } }) });
		aws.durable.emptyPages = 1;
		const empty = await runLambda(aws, { parameters: durable('getHistory', { executionArn: arn, returnAll: false, maxItems: 2, marker: '' }) });
		expect(empty.items).toEqual([{ json: { NextMarker: expect.any(String) }, pairedItem: { item: 0 } }]);
		const next = await runLambda(aws, { parameters: durable('getHistory', { executionArn: arn, returnAll: false, maxItems: 2, marker: String(empty.items[0].json.NextMarker) }) });
		expect(next.items.map((item) => item.json.EventId)).toEqual([1, 2]);
		aws.durable.emptyPages = 1;
		const all = await runLambda(aws, { parameters: durable('getHistory', { executionArn: arn, returnAll: true }) });
		expect(all.items.map((item) => item.json.EventId)).toEqual([1, 2, 3, 4]);
	});

	it('as an AI Agent tool, answers one item saying nothing matched instead of an empty answer', async () => {
		const nothing = await runLambda(aws, {
			parameters: durable('list', { functionName: { __rl: true, mode: 'name', value: 'durable-approval:1' }, returnAll: true, filters: { durableExecutionName: 'never-started' } }),
			asTool: true,
		});
		expect(nothing.items.map((item) => item.json)).toEqual([{ note: expect.stringMatching(/^No durable executions matched/) }]);
		const arn = await startThroughNode('history-tool-empty-page', { orderId: 'P-3' });
		aws.durable.emptyPages = 1;
		const emptyPage = await runLambda(aws, { parameters: durable('getHistory', { executionArn: arn, returnAll: false, maxItems: 2, marker: '' }), asTool: true });
		expect(emptyPage.items.map((item) => item.json)).toEqual([{ note: expect.stringMatching(/NextMarker/), NextMarker: expect.any(String) }]);
	});

	it('says what to do when the function is not durable', async () => {
		const result = await runLambda(aws, { parameters: durable('list', { functionName: { __rl: true, mode: 'name', value: 'echo' }, returnAll: true }) });
		expect(result.error?.message).toMatch(/not a durable function/);
		expect(result.error?.description).toMatch(/need a durable function/);
	});

	it('returns one item per history event, with or without payloads, in pages', async () => {
		const arn = await startThroughNode('history-1', { orderId: 'P-1', note: 'input-only-text' });
		await runLambda(aws, { parameters: durable('get', { executionArn: arn, options: { waitForCompletion: true, pollIntervalSeconds: 1 } }) });
		const all = await runLambda(aws, { parameters: durable('getHistory', { executionArn: arn, returnAll: true }) });
		expect(all.items.map((item) => item.json.EventType)).toEqual(['ExecutionStarted', 'StepStarted', 'StepSucceeded', 'ExecutionSucceeded']);
		const bare = await runLambda(aws, { parameters: durable('getHistory', { executionArn: arn, returnAll: true, options: { includeExecutionData: false, reverseOrder: true } }) });
		expect(bare.items[0].json.EventType).toBe('ExecutionSucceeded');
		expect(JSON.stringify(bare.items)).not.toContain('input-only-text');
		const firstPage = await runLambda(aws, { parameters: durable('getHistory', { executionArn: arn, returnAll: false, maxItems: 3, marker: '' }) });
		const rest = await runLambda(aws, { parameters: durable('getHistory', { executionArn: arn, returnAll: false, maxItems: 3, marker: String(firstPage.items[2].json.NextMarker) }) });
		expect([...firstPage.items, ...rest.items].map((item) => item.json.EventId)).toEqual([1, 2, 3, 4]);
	});
});

describe('Stop', () => {
	it('stops a running execution with the given error, and explains a second stop', async () => {
		const { arn } = await waitingForApproval('stop-1');
		const parameters = durable('stop', { executionArn: arn, error: { errorType: 'Cancelled', errorMessage: 'Order withdrawn', errorData: '{"by":"ops"}' } });
		const stopped = await runLambda(aws, { parameters });
		expect(stopped.items[0].json).toMatchObject({ durableExecutionArn: arn, StopTimestamp: expect.any(String) });
		expect(aws.durable.execution(arn)).toMatchObject({ status: 'STOPPED', error: { ErrorType: 'Cancelled', ErrorMessage: 'Order withdrawn', ErrorData: '{"by":"ops"}' } });
		const again = await runLambda(aws, { parameters });
		expect(again.error?.message).toMatch(/^Stop durable execution failed \(item 0\): AWS Lambda rejected the request: .*not running/);
		expect(again.error?.description).toMatch(/Stop applies only to a RUNNING execution/);
	});

	it('is not sent again once the request may have reached AWS', async () => {
		const { arn } = await waitingForApproval('stop-reset');
		aws.faults.resetConnection(1, { afterFunctionRuns: true, stage: 'beforeHeaders', match: { action: 'StopDurableExecution' } });
		const result = await runLambda(aws, { parameters: durable('stop', { executionArn: arn }) });
		expect(result.error?.message).toMatch(/the connection was closed before AWS answered/);
		expect(aws.durable.execution(arn)?.status).toBe('STOPPED');
		expect(durableCalls().filter((entry) => entry.action === 'StopDurableExecution')).toHaveLength(1);
	});
});

describe('Callbacks', () => {
	it('resumes the function with the result, and a second answer gets the clear error', async () => {
		const { arn, callbackId } = await waitingForApproval('cb-success');
		const parameters = durable('sendCallbackSuccess', { callbackId, result: '={{ JSON.stringify({ approved: true, by: $json.approver }) }}' });
		const sent = await runLambda(aws, { parameters, items: [{ approver: 'ana' }] });
		expect(sent.items[0].json).toEqual({ callbackId, sent: 'success' });
		const done = await runLambda(aws, { parameters: durable('get', { executionArn: arn, options: { waitForCompletion: true, pollIntervalSeconds: 1 } }) });
		expect(done.items[0].json.Result).toEqual({ orderId: 'cb-success', status: 'approved', decision: { approved: true, by: 'ana' } });
		const twice = await runLambda(aws, { parameters, items: [{ approver: 'ana' }] });
		expect(twice.error?.message).toMatch(/^Send callback success failed \(item 0\): the callback is closed: it was already answered, or it timed out/);
		expect(twice.error?.description).toMatch(/A callback takes one answer/);
	});

	it('fails the execution with the failure sent', async () => {
		const { arn, callbackId } = await waitingForApproval('cb-failure');
		await runLambda(aws, { parameters: durable('sendCallbackFailure', { callbackId, error: { errorType: 'Rejected', errorMessage: 'Budget exceeded' } }) });
		const done = await runLambda(aws, { parameters: durable('get', { executionArn: arn, options: { waitForCompletion: true, pollIntervalSeconds: 1 } }) });
		expect(done.items[0].json).toMatchObject({ Status: 'FAILED', Error: { ErrorType: 'Rejected', ErrorMessage: 'Budget exceeded' } });
	});

	it('keeps a callback alive with heartbeats', async () => {
		aws.durable.clock.msPerSecond = 100;
		const arn = await startThroughNode('cb-heartbeat', { orderId: 'Q-1', callbackUrl: approver.url, heartbeatTimeoutSeconds: 20 });
		const callbackId = await approver.callbackFor(arn);
		for (let beat = 0; beat < 3; beat++) {
			const result = await runLambda(aws, { parameters: durable('sendCallbackHeartbeat', { callbackId }) });
			expect(result.items[0].json).toEqual({ callbackId, sent: 'heartbeat' });
			await new Promise((resolve) => setTimeout(resolve, 1000));
		}
		expect(aws.durable.execution(arn)?.status).toBe('RUNNING');
		expect(aws.durable.callbacksOf(arn)[0].heartbeats).toBe(3);
	});

	it('checks every callback ID and result before the first request', async () => {
		const { callbackId } = await waitingForApproval('cb-validate');
		aws.clearLog();
		const badId = await runLambda(aws, {
			parameters: durable('sendCallbackHeartbeat', { callbackId: '={{ $json.id }}' }),
			items: [{ id: callbackId }, { id: 'not base64!' }],
		});
		expect(badId.error?.message).toBe('Callback ID (item 1): is not base64 text (letters, digits, + and /, up to two = at the end)');
		const large = await runLambda(aws, {
			parameters: durable('sendCallbackSuccess', { callbackId, result: '={{ JSON.stringify({ blob: "x".repeat($json.size) }) }}' }),
			items: [{ size: 10 }, { size: 262_144 }],
		});
		expect(large.error?.message).toBe('Result (item 1): 262,155 bytes is over the AWS limit of 262,144 bytes (256 KB)');
		const badJson = await runLambda(aws, { parameters: durable('sendCallbackSuccess', { callbackId, result: '{"open":' }) });
		expect(badJson.error?.message).toMatch(/^Result \(item 0\): not valid JSON/);
		expect(aws.log).toHaveLength(0);
	});

	it('pairs Continue On Fail error items with their input', async () => {
		const { callbackId } = await waitingForApproval('cb-pairing');
		const result = await runLambda(aws, {
			parameters: durable('sendCallbackHeartbeat', { callbackId: '={{ $json.id }}' }),
			items: [{ id: 'dW5rbm93bg==' }, { id: callbackId }],
			continueOnFail: true,
		});
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(result.items[0].json.error).toMatch(/no such callback/);
		expect(result.items[1].json).toEqual({ callbackId, sent: 'heartbeat' });
	});

	it('is not replayed after the request may have reached AWS, but is retried when AWS refused it', async () => {
		const { callbackId } = await waitingForApproval('cb-retry');
		aws.faults.throttle(1, { match: { action: 'SendDurableExecutionCallbackHeartbeat' } });
		const throttled = await runLambda(aws, { parameters: durable('sendCallbackHeartbeat', { callbackId }) });
		expect(throttled.error).toBeUndefined();
		expect(durableCalls().map((entry) => entry.status)).toEqual([429, 200]);
		aws.clearLog();
		// The callback was applied at AWS; only the answer was lost.
		aws.faults.resetConnection(1, { afterFunctionRuns: true, stage: 'beforeHeaders', match: { action: 'SendDurableExecutionCallbackSuccess' } });
		const dropped = await runLambda(aws, { parameters: durable('sendCallbackSuccess', { callbackId, result: '{}' }) });
		expect(dropped.error?.message).toMatch(/the connection was closed before AWS answered/);
		expect(durableCalls()).toHaveLength(1);
	});
});

describe('as an AI Agent tool', () => {
	/** What the model is told about one operation's tool: its description with the node's defaults resolved. */
	const toolText = (operation: string) => {
		const tool = toolVariant();
		const node = { type: tool.description.name, typeVersion: 1, parameters: { resource: 'durableExecution', operation } } as unknown as INode;
		const parameters = NodeHelpers.getNodeParameters(tool.description.properties, node.parameters, true, false, node, tool.description) ?? {};
		return NodeHelpers.getToolDescriptionForNode({ ...node, parameters }, tool);
	};
	const expected: Record<string, RegExp> = {
		get: /Status/,
		list: /DurableExecutionName/,
		getHistory: /EventType/,
		stop: /StopTimestamp/,
		sendCallbackSuccess: /callback ID/,
		sendCallbackFailure: /callback ID/,
		sendCallbackHeartbeat: /heartbeat/,
	};

	it('gives each durable operation its own description: what it does, its inputs, what comes back', () => {
		const texts = Object.keys(expected).map(toolText);
		expect(new Set(texts).size).toBe(texts.length);
		expect(texts).not.toContain(toolVariant().description.description);
		for (const [operation, answer] of Object.entries(expected)) {
			expect(toolText(operation)).toMatch(answer);
			expect(toolText(operation)).toMatch(/"error"/);
		}
	});
});

describe('credentials on the Durable Execution resource', () => {
	it('works with an assumed role, and never shows the temporary secrets', async () => {
		const arn = await startThroughNode('creds-role', { orderId: 'R-1' });
		aws.clearLog();
		const result = await runLambda(aws, {
			parameters: durable('get', { executionArn: arn, authentication: 'assumeRole' }),
			credentials: { awsLambdaAssumeRoleApi: assumeRoleCredential(aws) },
		});
		expect(result.error).toBeUndefined();
		expect(aws.log.map((entry) => entry.action)).toEqual(['AssumeRole', 'GetDurableExecution']);
		expect(durableCalls()[0].hasSessionToken).toBe(true);
		expect(everythingVisible(result)).not.toContain(DEFAULT_KEY.secretAccessKey);
	});

	it('takes Dynamic Credentials per item, and keeps their secret out of errors', async () => {
		const { callbackId } = await waitingForApproval('creds-dynamic');
		aws.clearLog();
		const result = await runLambda(aws, {
			parameters: durable('sendCallbackHeartbeat', {
				callbackId,
				dynamicCredentials: { accessKeyId: '={{ $json.keyId }}', secretAccessKey: '={{ $json.secret }}' },
			}),
			items: [{ keyId: DEFAULT_KEY.accessKeyId, secret: DEFAULT_KEY.secretAccessKey }, { keyId: DEFAULT_KEY.accessKeyId, secret: 'wrong-dynamic-secret-0001' }],
			credentials: { awsLambdaAccessKeyApi: accessKeyCredential(aws, { accessKeyId: 'AKIALOCALTESTUNKNOWN', secretAccessKey: 'unused-secret' }) },
			continueOnFail: true,
		});
		expect(durableCalls().map((entry) => entry.accessKeyId)).toEqual([DEFAULT_KEY.accessKeyId, DEFAULT_KEY.accessKeyId]);
		expect(result.items[0].json.sent).toBe('heartbeat');
		expect(result.items[1].json.error).toMatch(/secret access key is wrong/);
		expect(everythingVisible(result, [{}, {}])).not.toContain('wrong-dynamic-secret-0001');
	});
});

/**
 * The examples' durable steps with the parameters as shipped. The Webhook and the Wait form need a
 * running n8n: here the approver stub receives the callback ID, and the node that reads it from the
 * webhook gets it directly (its callbackId / executionArn expressions name nodes the harness lacks).
 */
describe('the durable examples', () => {
	const example = (file: string) => JSON.parse(readFileSync(join(repoRoot(), 'examples', file), 'utf8')) as IWorkflowBase;
	const parametersOf = (workflow: IWorkflowBase, name: string) => workflow.nodes.find((node) => node.name === name)?.parameters as INodeParameters;

	it('human approval: starts once per order, the callback reaches the approver, the decision resumes the function', async () => {
		const workflow = example('durable-human-approval.json');
		const orders = [{ orderId: 'A-2001', amount: 1250, callbackUrl: approver.url }, { orderId: 'A-2002', amount: 90, callbackUrl: approver.url }];
		const started = await runLambda(aws, { parameters: parametersOf(workflow, 'Start approval'), items: orders });
		const retried = await runLambda(aws, { parameters: parametersOf(workflow, 'Start approval'), items: orders });
		const arns = started.items.map((item) => item.json.durableExecutionArn as string);
		expect(retried.items.map((item) => item.json.durableExecutionArn)).toEqual(arns);
		expect(arns[0]).toContain('/durable-execution/order-A-2001/');
		const [approve, reject] = await Promise.all(arns.map(async (arn) => await approver.callbackFor(arn)));
		const success = await runLambda(aws, { parameters: { ...parametersOf(workflow, 'Send callback success'), callbackId: approve }, items: [{ Decision: 'Approve', Comment: 'fine' }] });
		const failure = await runLambda(aws, { parameters: { ...parametersOf(workflow, 'Send callback failure'), callbackId: reject }, items: [{ Decision: 'Reject', Comment: 'too small' }] });
		expect([success.error, failure.error]).toEqual([undefined, undefined]);
		const outcome = await runLambda(aws, {
			parameters: durable('get', { executionArn: '={{ $json.arn }}', options: { waitForCompletion: true, pollIntervalSeconds: 1 } }),
			items: arns.map((arn) => ({ arn })),
		});
		expect(outcome.items.map((item) => item.json.Status)).toEqual(['SUCCEEDED', 'FAILED']);
		expect(outcome.items[0].json.Result).toMatchObject({ decision: { approved: true, comment: 'fine' } });
		expect(outcome.items[1].json.Error).toMatchObject({ ErrorType: 'Rejected', ErrorMessage: 'too small' });
	});

	it('start and wait: the later Get returns each execution\'s result', async () => {
		const workflow = example('durable-start-and-wait.json');
		const started = await runLambda(aws, { parameters: parametersOf(workflow, 'Start durable execution'), items: [{ orderId: 'B-3001' }, { orderId: 'B-3002' }] });
		const waited = await runLambda(aws, {
			parameters: { ...parametersOf(workflow, 'Wait for the result'), executionArn: '={{ $json.durableExecutionArn }}' },
			items: started.items.map((item) => item.json),
		});
		expect(waited.items.map((item) => [item.json.Status, (item.json.Result as { orderId: string }).orderId])).toEqual([
			['SUCCEEDED', 'B-3001'],
			['SUCCEEDED', 'B-3002'],
		]);
	});
});
