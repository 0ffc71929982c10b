import fc from 'fast-check';
import type { INodeParameters } from 'n8n-workflow';

import type { LocalAws } from './support/aws-endpoint';
import { DEFAULT_KEY } from './support/aws-endpoint';
import {
	accessKeyCredential,
	everythingVisible,
	invokeParameters,
	listParameters,
	runLambda,
	useLocalAws,
} from './support/lambda-node';

let aws: LocalAws;
useLocalAws({}, (server) => {
	aws = server;
});

/**
 * Literal values are checked by n8n itself (the locator's regex, required fields) before the node runs,
 * so these reach the node the way bad values usually do: from an expression.
 */
const fromExpression = (value: string) => `={{ ${JSON.stringify(value)} }}`;
const byName = (value: string) => ({ __rl: true, mode: 'name', value: fromExpression(value) });
const byArn = (value: string) => ({ __rl: true, mode: 'arn', value: fromExpression(value) });

/** Each bad input, the message that must name its field and item, and the parameters that produce it. */
const badInputs: Array<[string, INodeParameters, RegExp]> = [
	['invalid JSON payload', { payload: '{"a": 1,}' }, /^Payload \(item 0\): not valid JSON: .*position 8/],
	['synchronous payload over 6 MB', { payload: JSON.stringify({ s: 'x'.repeat(6 * 1024 * 1024) }) }, /^Payload \(item 0\): 6,291,464 bytes is over the AWS limit of 6,291,456 bytes \(6 MB\) for RequestResponse/],
	['Event payload over 1 MB', { invocationType: 'Event', payload: JSON.stringify({ s: 'x'.repeat(1024 * 1024) }) }, /^Payload \(item 0\): 1,048,584 bytes is over the AWS limit of 1,048,576 bytes \(1 MB\) for Event/],
	['empty function name', { functionName: byName('') }, /^Function Name or ARN \(item 0\): no function given/],
	['function name with illegal characters', { functionName: byName('my function!') }, /^Function Name or ARN \(item 0\): "my function!" is not a valid function name/],
	['function name over 64 characters', { functionName: byName('f'.repeat(65)) }, /^Function Name or ARN \(item 0\): the name .* has 65 characters/],
	['reference over 256 characters', { functionName: byName('f'.repeat(257)) }, /longer than AWS allows \(256\)/],
	['malformed ARN', { functionName: byArn('arn:aws:lambda:us-east-1:123:function:x') }, /^Function Name or ARN \(item 0\): .* is not a Lambda function ARN/],
	['plain name in ARN mode', { functionName: byArn('echo') }, /is not a Lambda function ARN/],
	['region that is not a region', { region: 'moon-base-1' }, /^AWS Region \(item 0\): "moon-base-1" is not an AWS Region/],
	['client context not JSON', { options: { clientContext: '{nope' } }, /^Client Context \(item 0\): not valid JSON/],
	['client context not an object', { options: { clientContext: '[1,2]' } }, /^Client Context \(item 0\): must be a JSON object/],
	['client context too large', { options: { clientContext: JSON.stringify({ c: 'x'.repeat(3000) }) } }, /^Client Context \(item 0\): 4,012 bytes once base64-encoded; AWS allows 3,583 bytes/],
	['qualifier with illegal characters', { options: { qualifier: 'v 1' } }, /^Qualifier \(item 0\)/],
	['timeout out of range', { options: { timeout: 0 } }, /^Timeout \(item 0\)/],
	['concurrency out of range', { options: { concurrency: 0 } }, /^Concurrency \(item 0\)/],
	['session token without key pair', { dynamicCredentials: { sessionToken: 'tok' } }, /^Dynamic Session Token \(item 0\)/],
];

describe('Bad input is rejected before any request, naming the field and the item', () => {
	it.each(badInputs)('%s', async (_name, override, message) => {
		const result = await runLambda(aws, { parameters: invokeParameters('echo', override) });
		expect(result.error?.message).toMatch(message);
		expect(result.error?.description).toBeTruthy();
		expect(aws.log).toHaveLength(0);
	});

	it.each([
		['before the error position', '{"k": wJalrXUtnFEMI/K7MDENG}', /^Payload \(item 0\): not valid JSON: unexpected text$/],
		['after the error position', '{"a": 1,, "k": "wJalrXUtnFEMI/K7MDENG"}', /^Payload \(item 0\): not valid JSON: fails at position 8 \(line 1, column 9\)$/],
	])('never quotes the payload text, which may hold a secret, when it does not parse (secret %s)', async (_where, payload, message) => {
		const result = await runLambda(aws, { parameters: invokeParameters('echo', { payload: '={{ $json.payload }}' }), items: [{ payload }] });
		expect(result.error?.message).toMatch(message);
		expect(`${result.error?.message} ${result.error?.description}`).not.toMatch(/wJalr|K7MD/);
	});

	it('names the line and column of a multi-line payload that does not parse', async () => {
		const result = await runLambda(aws, { parameters: invokeParameters('echo', { payload: '{\n  "a": 1,\n  }' }) });
		expect(result.error?.message).toMatch(/^Payload \(item 0\): not valid JSON: fails at position 14 \(line 3, column 3\)$/);
	});

	it('rejects a Lambda endpoint that is not a URL', async () => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo'),
			credentials: { awsLambdaAccessKeyApi: accessKeyCredential(aws, undefined, { lambdaEndpoint: 'lambda.local' }) },
		});
		expect(result.error?.message).toMatch(/Lambda Endpoint \(item 0\): "lambda.local" is not an http\(s\) URL/);
		expect(aws.log).toHaveLength(0);
	});

	it('rejects bad List Functions input', async () => {
		const result = await runLambda(aws, { parameters: listParameters({ region: 'nowhere' }) });
		expect(result.error?.message).toMatch(/^AWS Region \(item 0\)/);
		expect(aws.log).toHaveLength(0);
	});

	it('checks every item before the first request, so nothing half-runs', async () => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', { payload: '={{ $json.payload }}' }),
			items: [{ payload: '{}' }, { payload: '{}' }, { payload: '{broken' }],
		});
		expect(result.error?.message).toMatch(/^Payload \(item 2\)/);
		expect(aws.log).toHaveLength(0);
	});

	it('with Continue On Fail, bad items become error items and good items still run', async () => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', { payload: '={{ $json.payload }}' }),
			items: [{ payload: '{"ok":1}' }, { payload: '{broken' }, { payload: '{"ok":2}' }],
			continueOnFail: true,
		});
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(result.items[1].json.error).toMatch(/^Payload \(item 1\)/);
		expect(aws.log.map((entry) => entry.payload)).toEqual(['{"ok":1}', '{"ok":2}']);
	});
});

describe('Fuzzing: random payloads, names and parameters', () => {
	const secret = DEFAULT_KEY.secretAccessKey;
	const json = fc.jsonValue({ maxDepth: 3 });
	const payloadText = fc.oneof(fc.string({ maxLength: 40 }), json.map((value) => JSON.stringify(value)));
	const name = fc.oneof(
		fc.constantFrom('echo', 'fail', 'text', 'empty', 'bad-json', 'no-such-function', 'echo:live', 'echo:9'),
		fc.string({ maxLength: 80 }),
	);
	const item = fc.record({ fn: name, payload: payloadText, qualifier: fc.oneof(fc.constant(''), fc.string({ maxLength: 10 })) });

	it('never crashes, never leaks a secret, never loses or duplicates an item', async () => {
		let itemsChecked = 0;
		await fc.assert(
			fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 4 }), async (inputs, concurrency) => {
				aws.clearLog();
				const result = await runLambda(aws, {
					parameters: invokeParameters('echo', {
						functionName: { __rl: true, mode: 'name', value: '={{ $json.fn }}' },
						payload: '={{ $json.payload }}',
						options: { qualifier: '={{ $json.qualifier }}', concurrency },
					}),
					items: inputs,
					continueOnFail: true,
				});
				expect(result.error).toBeUndefined();
				expect(result.items.map((output) => output.pairedItem)).toEqual(inputs.map((_, i) => ({ item: i })));
				for (const output of result.items) {
					if ('error' in output.json) expect(String(output.json.error)).toMatch(/\(item \d+\)/);
				}
				expect(everythingVisible(result)).not.toContain(secret);
				expect(aws.log.filter((entry) => entry.action === 'Invoke').length).toBeLessThanOrEqual(inputs.length);
				itemsChecked += inputs.length;
			}),
			{ numRuns: 60 },
		);
		expect(itemsChecked).toBeGreaterThan(60);
	});
});
