import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { runNode, shutdownEngine } from './support/engine';

/** A toy node that exercises what the harness must provide: expressions, credentials, errors, logs, cancel. */
class ToyNode implements INodeType {
	description = {
		displayName: 'Toy',
		name: 'toy',
		group: ['transform'],
		version: 1,
		description: 'test',
		defaults: { name: 'Toy' },
		inputs: ['main'],
		outputs: ['main'],
		credentials: [{ name: 'toyApi', required: false }],
		properties: [
			{ displayName: 'Value', name: 'value', type: 'string', default: '' },
			{ displayName: 'Wait', name: 'wait', type: 'boolean', default: false },
		],
	} as unknown as INodeTypeDescription;

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const out: INodeExecutionData[] = [];
		for (let i = 0; i < this.getInputData().length; i++) {
			if (this.getNodeParameter('wait', i)) {
				await new Promise((resolve) => this.getExecutionCancelSignal()?.addEventListener('abort', resolve));
				throw new NodeOperationError(this.getNode(), 'cancelled', { itemIndex: i });
			}
			const value = this.getNodeParameter('value', i) as string;
			this.logger.info(`item ${i}`);
			try {
				if (value === 'bad') throw new NodeOperationError(this.getNode(), `bad value (item ${i})`, { itemIndex: i });
				const credential = this.getNode().credentials?.toyApi ? await this.getCredentials('toyApi', i) : {};
				out.push({ json: { value, token: credential.token ?? null }, pairedItem: { item: i } });
			} catch (error) {
				if (!this.continueOnFail()) throw error;
				out.push({ json: { error: (error as Error).message }, pairedItem: { item: i } });
			}
		}
		return [out];
	}
}

const node = { type: new ToyNode(), typeName: 'test.toy' };

afterAll(() => shutdownEngine());

describe('engine harness', () => {
	it('resolves expressions per item, delivers credentials and captures logs', async () => {
		const result = await runNode({
			node,
			parameters: { value: '={{ $json.v * 2 }}' },
			items: [{ v: 1 }, { v: 2 }],
			credentials: { toyApi: { token: 't' } },
		});
		expect(result.items.map((item) => item.json)).toEqual([
			{ value: 2, token: 't' },
			{ value: 4, token: 't' },
		]);
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(result.logs.filter((line) => line.startsWith('info: item'))).toEqual(['info: item 0', 'info: item 1']);
	});

	it('reports a node error, or an error item with Continue On Fail', async () => {
		const items = [{ v: 'ok' }, { v: 'bad' }];
		const failed = await runNode({ node, parameters: { value: '={{ $json.v }}' }, items });
		expect(failed.items).toEqual([]);
		expect(failed.error?.message).toBe('bad value (item 1)');
		const continued = await runNode({ node, parameters: { value: '={{ $json.v }}' }, items, continueOnFail: true });
		expect(continued.items.map((item) => item.json)).toEqual([{ value: 'ok', token: null }, { error: 'bad value (item 1)' }]);
	});

	it('cancels a running execution through the abort signal', async () => {
		const controller = new AbortController();
		setTimeout(() => controller.abort(), 50);
		const result = await runNode({ node, parameters: { wait: true }, signal: controller.signal });
		expect(result.items).toEqual([]);
		expect(result.durationMs).toBeLessThan(2000);
	});
});
