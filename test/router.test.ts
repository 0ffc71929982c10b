/**
 * The router's edge cases: a Concurrency that fails for item 0, unexpected errors, a custom
 * endpoint that does not serve the Lambda API, and the function picker with a Region expression.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { NodeOperationError } from 'n8n-workflow';
import type { INode } from 'n8n-workflow';

import { asNodeError } from '../nodes/AwsLambda/actions/router';
import { AwsLambda } from '../nodes/AwsLambda/AwsLambda.node';
import type { LocalAws } from './support/aws-endpoint';
import { DEFAULT_KEY } from './support/aws-endpoint';
import { loadOptionsContext } from './support/engine';
import {
	accessKeyCredential,
	credentialTypes,
	invokeParameters,
	listParameters,
	runLambda,
	useLocalAws,
} from './support/lambda-node';

let aws: LocalAws;
useLocalAws({}, (server) => {
	aws = server;
});

const invokes = () => aws.log.filter((entry) => entry.action === 'Invoke');

describe('A Concurrency that fails for item 0', () => {
	const cases = [
		['out of range', '={{ $json.c }}', [{ c: 0 }, { c: 1 }, { c: 1 }], /^Concurrency \(item 0\): 0 is not a whole number/],
		// n8n turns most runtime errors in expressions into undefined; a missing node is one it throws.
		['an expression that throws', '={{ $itemIndex === 0 ? $("Missing node").item.json.n : 2 }}', [{}, {}, {}], /Referenced node doesn't exist/],
	] as const;

	it.each(cases)('%s, with Continue On Fail: item 0 is an error item and the other items run', async (_name, concurrency, items, error) => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', { payload: '={{ JSON.stringify({ n: $itemIndex }) }}', options: { concurrency } }),
			items: [...items],
			continueOnFail: true,
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(result.items[0].json.error).toMatch(error);
		expect(result.items.slice(1).map((item) => (item.json.payload as { event: unknown }).event)).toEqual([{ n: 1 }, { n: 2 }]);
		expect(invokes().map((entry) => entry.payload)).toEqual(['{"n":1}', '{"n":2}']);
	});

	it('out of range, without Continue On Fail: the run fails naming the field, nothing is invoked', async () => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', { options: { concurrency: '={{ $json.c }}' } }),
			items: [{ c: 0 }, { c: 1 }],
		});
		expect(result.error?.message).toMatch(/^Concurrency \(item 0\)/);
		expect(invokes()).toHaveLength(0);
	});
});

describe('Unexpected errors', () => {
	const node: INode = { id: '1', name: 'AWS Lambda', type: 'awsLambda', typeVersion: 1, position: [0, 0], parameters: {} };
	const secret = 'wJalr/XUtnFEMI+K7MDENG=bPxR';

	it('reach n8n as node errors with their item, without the secrets in message or stack', () => {
		const bug = new TypeError(`Cannot read "x" of ${encodeURIComponent(secret)}`);
		bug.stack = `TypeError: Cannot read "x" of ${secret}\n    at somewhere (file.js:1:1)`;
		const error = asNodeError(node, bug, 3, [secret]);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toMatch(/Cannot read "x" of \[redacted\]/);
		expect((error as NodeOperationError).context.itemIndex).toBe(3);
		expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toMatch(/XUtn/);
	});
});

describe('A custom Lambda endpoint that is not the Lambda API', () => {
	let server: Server;
	let url: string;
	let body = '';
	beforeAll(async () => {
		server = createServer((_request, response) => {
			response.writeHead(404, { 'Content-Type': 'text/html' });
			response.end(body);
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	});
	afterAll(async () => await new Promise((resolve) => server.close(resolve)));

	it.each([['an HTML page', '<html><body><h1>Not Found</h1></body></html>'], ['an empty body', '']])(
		'answering 404 with %s: says the endpoint does not serve this Lambda API and points at the Lambda Endpoint',
		async (_name, page) => {
			body = page;
			const result = await runLambda(aws, {
				parameters: listParameters(),
				credentials: { awsLambdaAccessKeyApi: accessKeyCredential(aws, DEFAULT_KEY, { lambdaEndpoint: url }) },
			});
			expect(result.error?.message).toMatch(/^List functions failed \(item 0\): .*HTTP 404.* does not serve/);
			expect(result.error?.message).not.toMatch(/Unknown|SyntaxError/);
			expect(result.error?.description).toMatch(/Lambda Endpoint/);
		},
	);
});

describe('The function picker with a Region expression', () => {
	const search = async (region: string) => {
		const context = loadOptionsContext({
			node: { type: new AwsLambda() },
			parameters: invokeParameters('echo', { region }),
			credentials: { awsLambdaAccessKeyApi: accessKeyCredential(aws) },
			credentialTypes,
		});
		return await new AwsLambda().methods.listSearch.searchFunctions.call(context, 'echo');
	};

	it('resolves an expression that needs no input item', async () => {
		const found = await search('={{ "eu-" + "west-1" }}');
		expect(found.results.map((result) => result.name)).toEqual(['echo']);
		expect(aws.log.map((entry) => entry.region)).toEqual(['eu-west-1']);
	});

	it('explains that a Region from input data cannot load the list', async () => {
		await expect(search('={{ $json.region }}')).rejects.toThrow(/AWS Region.*input item/);
		expect(aws.log).toHaveLength(0);
	});
});
