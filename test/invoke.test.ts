import { AwsLambda } from '../nodes/AwsLambda/AwsLambda.node';
import type { LocalAws } from './support/aws-endpoint';
import { loadOptionsContext } from './support/engine';
import { accessKeyCredential, credentialTypes, invokeParameters, runLambda, useLocalAws } from './support/lambda-node';

let aws: LocalAws;
useLocalAws({ functionCount: 120 }, (server) => {
	aws = server;
});

const invokes = () => aws.log.filter((entry) => entry.action === 'Invoke');

describe('Invoke through the n8n engine', () => {
	it('invokes synchronously and returns status, version, request id and the parsed payload', async () => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', { payload: '{"hello":"world"}' }),
		});
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(1);
		const json = result.items[0].json as Record<string, any>;
		expect(json.statusCode).toBe(200);
		expect(json.executedVersion).toBe('$LATEST');
		expect(typeof json.requestId).toBe('string');
		expect(json.payload.event).toEqual({ hello: 'world' });
		expect(result.items[0].pairedItem).toEqual({ item: 0 });

		const [call] = invokes();
		expect(call).toMatchObject({
			functionName: 'echo',
			invocationType: 'RequestResponse',
			region: 'us-east-1',
			signatureValid: true,
			accessKeyId: accessKeyCredential(aws).accessKeyId,
		});
	});

	it('sends Event invocations asynchronously (202, no payload)', async () => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', { invocationType: 'Event', payload: '{"n":1}' }),
		});
		expect(result.items[0].json).toMatchObject({ statusCode: 202, payload: null });
		expect(invokes()[0]).toMatchObject({ invocationType: 'Event', status: 202 });
	});

	it('checks permissions with DryRun (204) without running the function', async () => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', { invocationType: 'DryRun' }),
		});
		expect(result.items[0].json).toMatchObject({ statusCode: 204, payload: null });
		expect(invokes()[0]).toMatchObject({ invocationType: 'DryRun', status: 204 });
	});

	it('takes the alias from the name, or from the Qualifier option', async () => {
		const inName = await runLambda(aws, { parameters: invokeParameters('echo:live') });
		const inOption = await runLambda(aws, {
			parameters: invokeParameters('echo', { options: { qualifier: '1' } }),
		});
		expect(inName.items[0].json.executedVersion).toBe('2');
		expect(inOption.items[0].json.executedVersion).toBe('1');
		expect(invokes().map((entry) => entry.qualifier)).toEqual(['live', '1']);
	});

	it('rejects a Qualifier option that contradicts the qualifier in the name, before any request', async () => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo:live', { options: { qualifier: '1' } }),
		});
		expect(result.error?.message).toMatch(/Qualifier \(item 0\)/);
		expect(invokes()).toHaveLength(0);
	});

	it('lets a full ARN choose its own Region', async () => {
		const arn = 'arn:aws:lambda:eu-west-1:123456789012:function:echo';
		const result = await runLambda(aws, {
			parameters: invokeParameters(arn, {
				functionName: { __rl: true, mode: 'arn', value: `${arn}:live` },
				region: 'us-east-1',
			}),
		});
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.executedVersion).toBe('2');
		expect(invokes()[0]).toMatchObject({ region: 'eu-west-1', qualifier: 'live' });
	});

	it('decodes the execution log tail when asked', async () => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('chatty', { options: { includeLogs: true } }),
		});
		const logs = result.items[0].json.logs as string;
		expect(invokes()[0].logType).toBe('Tail');
		expect(Buffer.byteLength(logs)).toBeLessThanOrEqual(4096);
		expect(logs).toMatch(/REPORT RequestId/);
		expect(logs).not.toMatch(/START RequestId/);
	});

	it('passes the client context to the function', async () => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', { options: { clientContext: '{"custom":{"tenant":"acme"}}' } }),
		});
		expect(invokes()[0].clientContext).toEqual({ custom: { tenant: 'acme' } });
		expect((result.items[0].json.payload as any).clientContext).toEqual({ custom: { tenant: 'acme' } });
	});

	it('sends no client context for the field\'s empty default', async () => {
		await runLambda(aws, { parameters: invokeParameters('echo', { options: { clientContext: '{}' } }) });
		expect(invokes()[0].clientContext).toBeUndefined();
	});

	it('sends each input item as the payload, with per-item expressions and pairing', async () => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', { options: { sendInputItem: true } }),
			items: [{ id: 1 }, { id: 2 }, { id: 3 }],
		});
		expect(result.items.map((item) => (item.json.payload as any).event)).toEqual([
			{ id: 1 },
			{ id: 2 },
			{ id: 3 },
		]);
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
	});

	it('evaluates expressions per item for the function name and payload', async () => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', {
				functionName: { __rl: true, mode: 'name', value: '={{ $json.fn }}' },
				payload: '={{ JSON.stringify({ value: $json.value }) }}',
			}),
			items: [
				{ fn: 'echo', value: 'a' },
				{ fn: 'fn-00001', value: 'b' },
			],
		});
		expect(result.error).toBeUndefined();
		expect(invokes().map((entry) => entry.functionName)).toEqual(['echo', 'fn-00001']);
		expect(result.items.map((item) => (item.json.payload as any).event.value)).toEqual(['a', 'b']);
	});

	it('returns text and binary responses in the format asked for', async () => {
		const text = await runLambda(aws, { parameters: invokeParameters('text') });
		expect(text.items[0].json.payload).toBe('hello, plain text');

		const binary = await runLambda(aws, { parameters: invokeParameters('binary') });
		expect(binary.items[0].json.payload).toBeNull();
		expect(binary.items[0].binary?.data).toBeDefined();
		expect(binary.items[0].binary?.data.fileSize).toBeDefined();

		const forcedBinary = await runLambda(aws, {
			parameters: invokeParameters('echo', { options: { responseFormat: 'binary', binaryPropertyName: 'out' } }),
		});
		expect(forcedBinary.items[0].binary?.out).toBeDefined();

		const notJson = await runLambda(aws, {
			parameters: invokeParameters('text', { options: { responseFormat: 'json' } }),
		});
		expect(notJson.error?.message).toMatch(/is not valid JSON/);
	});

	it('collects large responses whole, byte for byte, at concurrency', async () => {
		const sizes = [3_000_000, 1, 65_537, 5_000_000];
		const result = await runLambda(aws, {
			parameters: invokeParameters('large', { payload: '={{ JSON.stringify({ bytes: $json.bytes }) }}' }),
			items: sizes.map((bytes) => ({ bytes })),
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.payload)).toEqual(sizes.map((bytes) => 'x'.repeat(bytes)));
	});

	it('handles empty and invalid JSON bodies without crashing', async () => {
		const empty = await runLambda(aws, { parameters: invokeParameters('empty') });
		expect(empty.items[0].json).toMatchObject({ statusCode: 200, payload: null });
		const badJson = await runLambda(aws, { parameters: invokeParameters('bad-json') });
		expect(badJson.items[0].json.payload).toBe('{"not": json');
	});

	it('fails the node on a function error, naming the function, the item and the error', async () => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('fail', { payload: '{"x":1}' }),
		});
		expect(result.items).toHaveLength(0);
		expect(result.error?.message).toMatch(/fail.*item 0.*TypeError: boom/);
		expect(result.error?.description).toMatch(/Unhandled/);
		expect(result.error?.description).toMatch(/Stack trace/);
	});

	it('with Continue On Fail, a function error becomes an error item and the other items still run', async () => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', {
				functionName: { __rl: true, mode: 'name', value: '={{ $json.fn }}' },
			}),
			items: [{ fn: 'echo' }, { fn: 'fail' }, { fn: 'handled-fail' }, { fn: 'echo' }],
			continueOnFail: true,
		});
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(4);
		expect(result.items.map((item) => item.pairedItem)).toEqual([
			{ item: 0 },
			{ item: 1 },
			{ item: 2 },
			{ item: 3 },
		]);
		expect(result.items[0].json.statusCode).toBe(200);
		expect(result.items[1].json).toMatchObject({ functionError: 'Unhandled', errorType: 'TypeError' });
		expect(result.items[1].json.error).toMatch(/item 1/);
		expect(result.items[2].json).toMatchObject({ functionError: 'Handled' });
		expect(result.items[3].json.statusCode).toBe(200);
		expect(invokes()).toHaveLength(4);
	});

	it('explains AWS errors with the item index', async () => {
		const missing = await runLambda(aws, { parameters: invokeParameters('no-such-function') });
		expect(missing.error?.message).toMatch(/Invoke no-such-function failed \(item 0\): function not found/);

		const pending = await runLambda(aws, { parameters: invokeParameters('pending-fn') });
		expect(pending.error?.message).toMatch(/not ready/);
	});

	it('lists functions for the resource locator, page by page, with a search filter', async () => {
		const context = loadOptionsContext({
			node: { type: new AwsLambda() },
			parameters: invokeParameters('echo'),
			credentials: { awsLambdaAccessKeyApi: accessKeyCredential(aws) },
			credentialTypes,
		});
		const node = new AwsLambda();
		const first = await node.methods.listSearch.searchFunctions.call(context);
		expect(first.results).toHaveLength(50);
		expect(first.paginationToken).toBeTruthy();
		const second = await node.methods.listSearch.searchFunctions.call(context, undefined, first.paginationToken as string);
		expect(second.results[0].name).not.toBe(first.results[0].name);

		const filtered = await node.methods.listSearch.searchFunctions.call(context, 'fn-0011');
		expect(filtered.results.map((result) => result.name)).toEqual(
			Array.from({ length: 10 }, (_, i) => `fn-0011${i}`),
		);
	});
});
