import type { LocalAws } from './support/aws-endpoint';
import { listParameters, runLambda, useLocalAws } from './support/lambda-node';

const FUNCTION_COUNT = 10_000;
let aws: LocalAws;
useLocalAws({ functionCount: FUNCTION_COUNT }, (server) => {
	aws = server;
});

const listCalls = () => aws.log.filter((entry) => entry.action === 'ListFunctions');
const names = (items: Array<{ json: Record<string, unknown> }>) => items.map((item) => item.json.FunctionName);

describe('List Functions through the n8n engine', () => {
	it('returns one page with AWS field names, paired with the input item', async () => {
		const result = await runLambda(aws, { parameters: listParameters({ maxItems: 5 }) });
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(5);
		expect(result.items[0].json).toEqual(
			expect.objectContaining({
				FunctionName: expect.any(String),
				FunctionArn: expect.stringMatching(/^arn:aws:lambda:us-east-1:123456789012:function:/),
				Runtime: expect.any(String),
				Handler: expect.any(String),
				MemorySize: expect.any(Number),
				Timeout: expect.any(Number),
				LastModified: expect.any(String),
			}),
		);
		expect(result.items.every((item) => (item.pairedItem as { item: number }).item === 0)).toBe(true);
		expect(listCalls()[0].query).toMatchObject({ MaxItems: '5' });
		expect(result.items[4].json.NextMarker).toEqual(expect.any(String));
		expect(result.items.slice(0, 4).some((item) => 'NextMarker' in item.json)).toBe(false);
	});

	it('pages manually with Marker across three pages, without gaps or repeats', async () => {
		const seen: unknown[] = [];
		let marker = '';
		for (let page = 0; page < 3; page++) {
			const result = await runLambda(aws, {
				parameters: listParameters({ maxItems: 50, marker, options: { output: 'page' } }),
			});
			expect(result.error).toBeUndefined();
			expect(result.items).toHaveLength(1);
			const { Functions, NextMarker } = result.items[0].json as { Functions: Array<{ FunctionName: string }>; NextMarker: string };
			expect(Functions).toHaveLength(50);
			seen.push(...Functions.map((fn) => fn.FunctionName));
			marker = NextMarker;
		}
		const reference = await runLambda(aws, { parameters: listParameters({ returnAll: true }) });
		expect(seen).toEqual(names(reference.items as never).slice(0, 150));
		expect(new Set(seen).size).toBe(150);
	});

	it('returns all 10,000+ functions in AWS order, exactly once each', async () => {
		const result = await runLambda(aws, { parameters: listParameters({ returnAll: true }) });
		expect(result.error).toBeUndefined();
		const listed = names(result.items as never) as string[];
		const generated = listed.filter((name) => /^fn-\d{5}$/.test(name));
		expect(generated).toHaveLength(FUNCTION_COUNT);
		expect(new Set(listed).size).toBe(listed.length);
		expect(generated).toEqual([...generated].sort());
		expect(listCalls().length).toBe(Math.ceil(listed.length / 50));
		expect(result.items.some((item) => 'NextMarker' in item.json)).toBe(false);
	});

	it('retries a throttled page instead of dropping or repeating it', async () => {
		aws.faults.throttle(2, { match: { action: 'ListFunctions' } });
		const result = await runLambda(aws, { parameters: listParameters({ returnAll: true }) });
		expect(result.error).toBeUndefined();
		const listed = names(result.items as never) as string[];
		expect(new Set(listed).size).toBe(listed.length);
		expect(listed.filter((name) => name.startsWith('fn-'))).toHaveLength(FUNCTION_COUNT);
		expect(listCalls().filter((entry) => entry.status === 429)).toHaveLength(2);
	});

	it('includes published versions with Function Version: All Versions', async () => {
		const result = await runLambda(aws, {
			parameters: listParameters({ maxItems: 50, options: { functionVersion: 'ALL' } }),
		});
		const echoVersions = result.items.filter((item) => item.json.FunctionName === 'echo').map((item) => item.json.Version);
		expect(echoVersions).toEqual(expect.arrayContaining(['$LATEST', '1', '2']));
		expect(listCalls()[0].query).toMatchObject({ FunctionVersion: 'ALL' });
	});

	it('lists independently per input item, with expressions evaluated per item', async () => {
		const result = await runLambda(aws, {
			parameters: listParameters({ maxItems: '={{ $json.max }}' }),
			items: [{ max: 2 }, { max: 3 }],
		});
		expect(result.items).toHaveLength(5);
		expect(result.items.map((item) => (item.pairedItem as { item: number }).item)).toEqual([0, 0, 1, 1, 1]);
		expect(listCalls().map((entry) => entry.query.MaxItems)).toEqual(['2', '3']);
	});

	it('rejects Max Items outside 1-50 before any request', async () => {
		for (const maxItems of [0, 51, 2.5]) {
			const result = await runLambda(aws, { parameters: listParameters({ maxItems }) });
			expect(result.error?.message).toMatch(/^Max Items \(item 0\): .* is not a whole number from 1 to 50/);
		}
		expect(listCalls()).toHaveLength(0);
	});

	it('explains a marker that AWS rejects, and Continue On Fail keeps the other items', async () => {
		const result = await runLambda(aws, {
			parameters: listParameters({ maxItems: 1, marker: '={{ $json.marker }}' }),
			items: [{ marker: 'not-a-real-marker' }, { marker: '' }],
			continueOnFail: true,
		});
		expect(result.items).toHaveLength(2);
		expect(result.items[0].json.error).toMatch(/List functions failed \(item 0\): AWS Lambda rejected a parameter/);
		expect(result.items[0].json.description).toMatch(/Marker/);
		expect(result.items[1].json.FunctionName).toEqual(expect.any(String));

		const failing = await runLambda(aws, { parameters: listParameters({ marker: 'not-a-real-marker' }) });
		expect(failing.error?.message).toMatch(/item 0/);
	});

	it('requires Function Version: All Versions for Master Region', async () => {
		const result = await runLambda(aws, {
			parameters: listParameters({ options: { masterRegion: 'us-east-1' } }),
		});
		expect(result.error?.message).toMatch(/^Master Region \(item 0\)/);
		const ok = await runLambda(aws, {
			parameters: listParameters({ options: { masterRegion: 'us-east-1', functionVersion: 'ALL' } }),
		});
		expect(ok.error).toBeUndefined();
		expect(listCalls()[0].query).toMatchObject({ MasterRegion: 'us-east-1', FunctionVersion: 'ALL' });
	});

	describe('environment variables', () => {
		const FIXTURE_VALUE = 'fixture-db-password';
		const variables = (json: Record<string, unknown>) => (json.Environment as { Variables: Record<string, string> }).Variables;

		it.each([['one item per function', 'function'], ['one item per page', 'page']])(
			'%s: keeps the names and hides every value by default',
			async (_name, output) => {
				const result = await runLambda(aws, { parameters: listParameters({ maxItems: 3, options: { output } }) });
				expect(result.error).toBeUndefined();
				const functions = output === 'page' ? (result.items[0].json.Functions as Array<Record<string, unknown>>) : result.items.map((item) => item.json);
				expect(functions).toHaveLength(3);
				for (const fn of functions) {
					expect(variables(fn)).toEqual({ TABLE: '[hidden]', DB_PASSWORD: '[hidden]' });
				}
				expect(JSON.stringify(result.items)).not.toContain(FIXTURE_VALUE);
			},
		);

		it('shows the values with Include Environment Variable Values', async () => {
			const result = await runLambda(aws, {
				parameters: listParameters({ maxItems: 2, options: { includeEnvironmentValues: true, output: 'page' } }),
			});
			const functions = result.items[0].json.Functions as Array<Record<string, unknown>>;
			expect(functions.map((fn) => variables(fn))).toEqual(
				functions.map((fn) => ({ TABLE: `${String(fn.FunctionName)}-table`, DB_PASSWORD: FIXTURE_VALUE })),
			);
		});
	});
});
