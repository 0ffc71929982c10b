/**
 * The engine harness itself, against a toy node defined here: each test fails if the harness stops
 * running the node through n8n's engine (expressions left unresolved, no pairedItem, no Continue On
 * Fail, credentials not delivered, logs or cancel not wired).
 */
import type {
	ICredentialDataDecryptedObject,
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	ICredentialType,
	IExecuteFunctions,
	ILoadOptionsFunctions,
	INodeCredentialTestResult,
	INodeExecutionData,
	INodeListSearchResult,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeApiError, NodeConnectionTypes, NodeOperationError, VersionedNodeType } from 'n8n-workflow';

import { captureLogs, credentialTestContext, loadOptionsContext, runNode, shutdownEngine } from './support/engine';

class ToyApi implements ICredentialType {
	name = 'toyApi';
	displayName = 'Toy API';
	properties: ICredentialType['properties'] = [
		{ displayName: 'Token', name: 'token', type: 'string', typeOptions: { password: true }, default: '' },
		{ displayName: 'Region', name: 'region', type: 'string', default: 'eu-west-1' },
		{ displayName: 'Custom Endpoint', name: 'customEndpoint', type: 'boolean', default: false },
		{
			displayName: 'Endpoint',
			name: 'endpoint',
			type: 'string',
			default: '',
			displayOptions: { show: { customEndpoint: [true] } },
		},
	];
}

/** Resolves when the execution is cancelled; rejects after 5 s so a harness without cancel fails instead of hanging. */
async function untilCancelled(signal: AbortSignal | undefined): Promise<void> {
	if (!signal) throw new Error('no execution cancel signal');
	if (signal.aborted) return;
	await new Promise<void>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error('not cancelled within 5 s')), 5000);
		signal.addEventListener('abort', () => {
			clearTimeout(timer);
			resolve();
		});
	});
}

/** A toy node that exercises what the harness must provide: expressions, credentials, errors, logs, cancel. */
class ToyNode implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Toy',
		name: 'toy',
		group: ['transform'],
		version: 1,
		description: 'Test node of the engine harness',
		defaults: { name: 'Toy' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'toyApi', required: false }],
		properties: [
			{ displayName: 'Value', name: 'value', type: 'string', default: '' },
			{ displayName: 'Suffix', name: 'suffix', type: 'string', default: '!' },
			{
				displayName: 'Fail With',
				name: 'failWith',
				type: 'options',
				options: [
					{ name: 'Nothing', value: 'none' },
					{ name: 'Node Operation Error', value: 'operation' },
					{ name: 'Node API Error', value: 'api' },
					{ name: 'Plain Error', value: 'plain' },
				],
				default: 'none',
			},
			{ displayName: 'Handle Errors Itself', name: 'handleErrors', type: 'boolean', default: true },
			{
				displayName: 'Wait For Cancel',
				name: 'wait',
				type: 'options',
				options: [
					{ name: 'No', value: 'no' },
					{ name: 'Then Throw', value: 'throw' },
					{ name: 'Then Return Partial Output', value: 'partial' },
				],
				default: 'no',
			},
		],
	};

	methods = {
		listSearch: {
			async searchThings(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
				const credential = await this.getCredentials('toyApi');
				const suffix = this.getCurrentNodeParameter('suffix') as string;
				this.logger.debug('searching things', { filter });
				return { results: [{ name: `${credential.region as string}${suffix}`, value: filter ?? '' }] };
			},
		},
		credentialTest: {
			async toyApiTest(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
				this.logger.info('testing toy credential');
				return credential.data?.token === 'good'
					? { status: 'OK', message: 'Connection tested successfully' }
					: { status: 'Error', message: 'Bad token' };
			},
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const out: INodeExecutionData[] = [];
		const handleErrors = this.getNodeParameter('handleErrors', 0) as boolean;
		for (let i = 0; i < items.length; i++) {
			try {
				const wait = this.getNodeParameter('wait', i) as string;
				if (wait !== 'no') {
					await untilCancelled(this.getExecutionCancelSignal());
					if (wait === 'partial') return [out];
					throw new NodeOperationError(this.getNode(), 'stopped by cancel', { itemIndex: i });
				}
				const failWith = this.getNodeParameter('failWith', i) as string;
				if (failWith === 'operation') {
					throw new NodeOperationError(this.getNode(), `item ${i} is flagged`, { itemIndex: i, description: 'flagged by the test' });
				}
				if (failWith === 'api') {
					throw new NodeApiError(this.getNode(), { message: 'no such thing', httpCode: '404' }, { itemIndex: i });
				}
				if (failWith === 'plain') throw new Error(`plain failure with secret-${i}`);
				const credential = this.getNode().credentials?.toyApi ? await this.getCredentials('toyApi', i) : null;
				const value = this.getNodeParameter('value', i);
				const suffix = this.getNodeParameter('suffix', i) as string;
				this.logger.info(`toy item ${i}`, { token: credential?.token });
				// No pairedItem here: n8n's engine assigns it.
				out.push({ json: { value, suffix, credential } });
			} catch (error) {
				if (!handleErrors || !this.continueOnFail()) throw error;
				out.push({ json: { error: (error as Error).message }, pairedItem: { item: i } });
			}
		}
		return [out];
	}
}

const toy = { type: new ToyNode(), typeName: 'test.toy' };
const credentialTypes = [new ToyApi()];
const json = (items: INodeExecutionData[]) => items.map((item) => item.json);

afterAll(() => shutdownEngine());

describe('engine harness: parameters and items', () => {
	it('resolves expressions per item, fills parameter defaults and lets the engine pair the items', async () => {
		const result = await runNode({ node: toy, parameters: { value: '={{ $json.v * 2 }}' }, items: [{ v: 1 }, { v: 2 }, { v: 3 }] });
		expect(result.error).toBeUndefined();
		expect(result.status).toBe('success');
		expect(json(result.items)).toEqual([
			{ value: 2, suffix: '!', credential: null },
			{ value: 4, suffix: '!', credential: null },
			{ value: 6, suffix: '!', credential: null },
		]);
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(result.outputs).toHaveLength(1);
	});

	it('takes ready-made items and one default item, without touching the caller\'s objects', async () => {
		const given: INodeExecutionData = { json: { v: 'x' } };
		const result = await runNode({ node: toy, parameters: { value: '={{ $json.v }}' }, items: [given] });
		expect(json(result.items)).toEqual([{ value: 'x', suffix: '!', credential: null }]);
		expect(given).toEqual({ json: { v: 'x' } });
		const empty = await runNode({ node: toy, parameters: { value: '={{ Object.keys($json).length }}' } });
		expect(json(empty.items)).toEqual([{ value: 0, suffix: '!', credential: null }]);
	});

	it('runs a versioned node type at its default version unless one is given', async () => {
		const version = (n: number): INodeType => ({
			description: { ...new ToyNode().description, version: n, properties: [] },
			async execute(this: IExecuteFunctions) {
				return [[{ json: { version: this.getNode().typeVersion, ran: n } }]];
			},
		});
		const versioned = new VersionedNodeType(
			{ 1: version(1), 2: version(2), 3: version(3) },
			{ displayName: 'Toy', name: 'toy', group: ['transform'], description: 'versioned', defaultVersion: 2 },
		);
		const byDefault = await runNode({ node: { type: versioned, typeName: 'test.versioned' }, parameters: {} });
		expect(json(byDefault.items)).toEqual([{ version: 2, ran: 2 }]);
		const pinned = await runNode({ node: { type: versioned, typeName: 'test.versioned', typeVersion: 3 }, parameters: {} });
		expect(json(pinned.items)).toEqual([{ version: 3, ran: 3 }]);
	});

	it('uses the n8n-workflow copy n8n-core uses', () => {
		const fromCore = require.resolve('n8n-workflow', { paths: [require.resolve('n8n-core')] });
		expect(fromCore).toBe(require.resolve('n8n-workflow'));
	});

	it('handles 10,000 items in one run', async () => {
		const items = Array.from({ length: 10_000 }, (_, v) => ({ v }));
		const result = await runNode({ node: toy, parameters: { value: '={{ $json.v + 1 }}' }, items });
		expect(result.items).toHaveLength(10_000);
		expect(result.items[9_999].json.value).toBe(10_000);
		expect(result.items[9_999].pairedItem).toEqual({ item: 9_999 });
		expect(result.durationMs).toBeLessThan(30_000);
	});

	it('rejects when n8n refuses to start the workflow, naming the issue', async () => {
		const strict: INodeType = {
			description: {
				...new ToyNode().description,
				properties: [{ displayName: 'Needed', name: 'needed', type: 'string', default: '', required: true }],
			},
			async execute() {
				return [[]];
			},
		};
		await expect(runNode({ node: { type: strict, typeName: 'test.strict' }, parameters: {} })).rejects.toThrow(/needed/);
	});
});

describe('engine harness: credentials', () => {
	it('delivers the stored credential as n8n does: defaults filled, hidden fields dropped, expressions resolved per item', async () => {
		const result = await runNode({
			node: toy,
			parameters: { value: 'v' },
			items: [{ tenant: 'a' }, { tenant: 'b' }],
			credentials: { toyApi: { token: '={{ "tok-" + $json.tenant }}', endpoint: 'http://not-shown.invalid' } },
			credentialTypes,
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.credential)).toEqual([
			{ token: 'tok-a', region: 'eu-west-1', customEndpoint: false },
			{ token: 'tok-b', region: 'eu-west-1', customEndpoint: false },
		]);
	});

	it('passes an unregistered credential type through as stored', async () => {
		const stored: ICredentialDataDecryptedObject = { token: 't', anything: 1 };
		const result = await runNode({ node: toy, parameters: {}, credentials: { toyApi: stored } });
		expect(result.items[0].json.credential).toEqual({ token: 't', anything: 1 });
	});
});

describe('engine harness: errors and Continue On Fail', () => {
	const items = [{ v: 'ok' }, { v: 'bad' }, { v: 'fine' }];
	const failOnBad = { value: '={{ $json.v }}', failWith: '={{ $json.v === "bad" ? "operation" : "none" }}' };

	it('without Continue On Fail, reports the node error and no items', async () => {
		const result = await runNode({ node: toy, parameters: failOnBad, items });
		expect(result.status).toBe('error');
		expect(result.items).toEqual([]);
		expect(result.error).toMatchObject({
			message: 'item 1 is flagged',
			description: 'flagged by the test',
			name: 'NodeOperationError',
			node: 'Node under test',
		});
	});

	it('carries a NodeApiError with its message and description', async () => {
		const result = await runNode({ node: toy, parameters: { failWith: 'api' } });
		expect(result.error?.name).toBe('NodeApiError');
		expect(result.error?.message).toMatch(/could not be found/);
		expect(result.error?.description).toBe('no such thing');
	});

	it('with Continue On Fail, turns the failing item into an error item paired with its input', async () => {
		const result = await runNode({ node: toy, parameters: failOnBad, items, continueOnFail: true });
		expect(result.error).toBeUndefined();
		expect(json(result.items)).toEqual([
			{ value: 'ok', suffix: '!', credential: null },
			{ error: 'item 1 is flagged' },
			{ value: 'fine', suffix: '!', credential: null },
		]);
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
	});

	it('with the error output, routes the error item to output 1, merged with its input item', async () => {
		const result = await runNode({ node: toy, parameters: failOnBad, items, onError: 'continueErrorOutput' });
		expect(result.outputs).toHaveLength(2);
		expect(json(result.items)).toEqual([
			{ value: 'ok', suffix: '!', credential: null },
			{ value: 'fine', suffix: '!', credential: null },
		]);
		expect(json(result.outputs[1])).toEqual([{ v: 'bad', error: 'item 1 is flagged' }]);
		expect(result.outputs[1][0].pairedItem).toEqual({ item: 1 });
	});

	it("with Continue On Fail and a node that throws anyway, n8n's engine passes the input through and keeps the error", async () => {
		const result = await runNode({ node: toy, parameters: { ...failOnBad, handleErrors: false }, items, continueOnFail: true });
		expect(json(result.items)).toEqual(items);
		expect(result.error?.message).toBe('item 1 is flagged');
	});
});

describe('engine harness: logs', () => {
	it("captures the node's this.logger lines with their metadata, and the engine's own", async () => {
		const result = await runNode({
			node: toy,
			parameters: {},
			items: [{}, {}],
			credentials: { toyApi: { token: 'sekret-token' } },
			credentialTypes,
		});
		expect(result.logs).toContain('info: toy item 0 {"token":"sekret-token"}');
		expect(result.logs).toContain('info: toy item 1 {"token":"sekret-token"}');
		expect(result.logs.some((line) => line.startsWith('debug: Workflow execution started'))).toBe(true);
	});

	it("captures what n8n's error reporter logs about a failing node, and only this run's lines", async () => {
		const failed = await runNode({ node: toy, parameters: { failWith: 'plain' } });
		expect(failed.error?.message).toBe('plain failure with secret-0');
		expect(failed.logs.some((line) => line.startsWith('error: plain failure with secret-0'))).toBe(true);
		const next = await runNode({ node: toy, parameters: {} });
		expect(next.logs.join('\n')).not.toMatch(/secret-0/);
	});
});

describe('engine harness: cancellation', () => {
	it("aborting the signal cancels the execution and fires the node's cancel signal", async () => {
		const controller = new AbortController();
		setTimeout(() => controller.abort(), 50);
		const result = await runNode({ node: toy, parameters: { wait: 'throw' }, signal: controller.signal });
		expect(result.status).toBe('canceled');
		expect(result.error?.message).toBe('stopped by cancel');
		expect(result.items).toEqual([]);
		expect(result.durationMs).toBeGreaterThanOrEqual(40);
		expect(result.durationMs).toBeLessThan(4000);
	});

	it('keeps the output a cancelled node returned, with the cancellation as the error', async () => {
		const controller = new AbortController();
		setTimeout(() => controller.abort(), 50);
		const result = await runNode({
			node: toy,
			parameters: { value: '={{ $json.v }}', wait: '={{ $json.v === 2 ? "partial" : "no" }}' },
			items: [{ v: 1 }, { v: 2 }, { v: 3 }],
			signal: controller.signal,
		});
		expect(result.status).toBe('canceled');
		expect(json(result.items)).toEqual([{ value: 1, suffix: '!', credential: null }]);
		expect(result.error?.name).toBe('ManualExecutionCancelledError');
	});

	it('an already aborted signal stops the run before the node runs', async () => {
		const controller = new AbortController();
		controller.abort();
		const result = await runNode({ node: toy, parameters: {}, signal: controller.signal });
		expect(result.status).toBe('canceled');
		expect(result.error?.name).toBe('ManualExecutionCancelledError');
		expect(result.logs.some((line) => line.includes('toy item'))).toBe(false);
	});
});

describe('engine harness: load options and credential tests', () => {
	it("gives listSearch a real LoadOptionsContext with the node's parameters and credentials", async () => {
		const context = loadOptionsContext({
			node: toy,
			parameters: { value: 'x' },
			credentials: { toyApi: { token: 't', region: 'us-east-2' } },
			credentialTypes,
		});
		const { result, logs } = await captureLogs(async () => await toy.type.methods.listSearch.searchThings.call(context, 'needle'));
		expect(result).toEqual({ results: [{ name: 'us-east-2!', value: 'needle' }] });
		expect(context.getNode().name).toBe('Node under test');
		expect(context.getCurrentNodeParameter('value')).toBe('x');
		expect(logs).toContain('debug: searching things {"filter":"needle"}');
	});

	it('gives a credential test a context with a logger and request helper', async () => {
		const context = credentialTestContext();
		expect(typeof context.helpers.request).toBe('function');
		const test = toy.type.methods.credentialTest.toyApiTest;
		const ok = await test.call(context, { id: '1', name: 'toy', type: 'toyApi', data: { token: 'good' } });
		expect(ok.status).toBe('OK');
		const bad = await test.call(context, { id: '1', name: 'toy', type: 'toyApi', data: { token: 'nope' } });
		expect(bad).toEqual({ status: 'Error', message: 'Bad token' });
	});
});
