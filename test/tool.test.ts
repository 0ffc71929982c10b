/**
 * The node as an AI Agent tool (issue #17), in n8n's engine: the node class registered under the
 * type name n8n gives the tool variant (`…awsLambdaTool`), which is all the node's own tool-mode
 * logic looks at. Whatever the node returns there is what the model reads
 * (`JSON.stringify(items.map((item) => item.json))`). The real AI Agent and model loop is proven by
 * the e2e suite (test/e2e/agent.ts), not here.
 */
import type { IDataObject, INode, INodeParameters, INodeTypeDescription } from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';

import { AwsLambda } from '../nodes/AwsLambda/AwsLambda.node';
import type { AwsKey, LocalAws } from './support/aws-endpoint';
import { DEFAULT_KEY } from './support/aws-endpoint';
import type { RunResult } from './support/engine';
import {
	accessKeyCredential,
	assumeRoleCredential,
	everythingVisible,
	invokeParameters,
	listParameters,
	runLambda,
	toolVariant,
	useLocalAws,
} from './support/lambda-node';

/** The documented bound on what the model receives (README "Use as an AI Agent tool"). */
const LIMIT_CHARS = 65_536;

const MARKER = 'SECRET-MARKER';
const TOOL_KEY: AwsKey = { accessKeyId: 'AKIALOCALTOOLSECRET1', secretAccessKey: `${MARKER}/tool+secret="5e1d=` };
const TEMPORARY: AwsKey = {
	accessKeyId: 'ASIALOCALTOOLTOKEN01',
	secretAccessKey: `${MARKER}/tool-temporary+secret"a9b2`,
	sessionToken: `${MARKER}+tool/session=77c3==`,
};

let aws: LocalAws;
useLocalAws({ keys: [DEFAULT_KEY, TOOL_KEY, TEMPORARY] }, (server) => {
	aws = server;
});

interface ToolRun {
	parameters: INodeParameters;
	items?: IDataObject[];
	key?: AwsKey;
	signal?: AbortSignal;
}

async function runTool(run: ToolRun): Promise<RunResult> {
	return await runLambda(aws, {
		parameters: run.parameters,
		items: run.items,
		credentials: { awsLambdaAccessKeyApi: accessKeyCredential(aws, run.key ?? DEFAULT_KEY) },
		signal: run.signal,
		asTool: true,
	});
}

/** Exactly the text the agent hands the model as the tool's answer. */
const modelReads = (result: RunResult): string => JSON.stringify(result.items.map((item) => item.json));

const invokes = () => aws.log.filter((entry) => entry.action === 'Invoke');

/** The parameters n8n stores and runs for a node of this type: the given ones plus every visible default. */
function resolvedParameters(description: INodeTypeDescription, parameters: INodeParameters): INodeParameters {
	const node: INode = { id: 'n', name: 'AWS Lambda', type: description.name, typeVersion: 1, position: [0, 0], parameters };
	return NodeHelpers.getNodeParameters(description.properties, parameters, true, false, node, description) ?? {};
}

describe('Tool descriptions', () => {
	const tool = toolVariant().description;
	const plain = new AwsLambda().description;
	const describedAs = (parameters: INodeParameters) => {
		const resolved = resolvedParameters(tool, parameters);
		const node = { parameters: resolved } as unknown as INode;
		return NodeHelpers.getToolDescriptionForNode(node, toolVariant());
	};

	it('gives each operation its own text saying what it does, what comes back and how errors look', () => {
		const invoke = describedAs({ operation: 'invoke' });
		const list = describedAs({ operation: 'listFunctions' });
		expect(invoke).not.toEqual(list);
		expect(invoke).not.toEqual(plain.description);
		expect(invoke).toMatch(/payload/i);
		expect(invoke).toMatch(/errorType/);
		expect(invoke).toMatch(/truncated/);
		expect(list).toMatch(/FunctionName/);
		expect(list).toMatch(/error/);
	});

	it('adds no parameter to the plain node: a stored workflow resolves to the same parameters', () => {
		for (const operation of ['invoke', 'listFunctions']) {
			expect(Object.keys(resolvedParameters(plain, { operation }))).not.toContain('toolDescription');
			expect(resolvedParameters(tool, { operation }).toolDescription).toEqual(expect.any(String));
		}
	});
});

describe('Errors reach the model as the tool\'s answer', () => {
	it('a function error: one item with errorType, errorMessage and the explanation, not a failed run', async () => {
		const result = await runTool({ parameters: invokeParameters('fail', { payload: '{"orderId":7}' }) });
		expect(result.status).toBe('success');
		expect(result.items).toHaveLength(1);
		expect(result.items[0].json).toMatchObject({
			error: expect.stringContaining('Function fail failed'),
			errorType: 'TypeError',
			errorMessage: expect.stringContaining('boom'),
			functionError: 'Unhandled',
		});
	});

	it('an AWS error: one item with what failed and how to fix it', async () => {
		const result = await runTool({ parameters: invokeParameters('no-such-function') });
		expect(result.status).toBe('success');
		expect(result.items).toHaveLength(1);
		expect(result.items[0].json.error).toMatch(/function not found/);
		expect(result.items[0].json.description).toMatch(/Check the function name/);
		expect(invokes()).toHaveLength(1);
	});

	it('a validation error: one item naming the field and the fix, and nothing sent', async () => {
		const result = await runTool({ parameters: invokeParameters('echo', { payload: '{"orderId": 7' }) });
		expect(result.status).toBe('success');
		expect(result.items).toHaveLength(1);
		expect(result.items[0].json.error).toMatch(/^Payload \(item 0\)/);
		expect(result.items[0].json.description).toEqual(expect.any(String));
		expect(invokes()).toHaveLength(0);
	});

	it('a cancelled execution still stops the run instead of answering', async () => {
		const controller = new AbortController();
		setTimeout(() => controller.abort(), 200);
		const result = await runTool({ parameters: invokeParameters('slow', { payload: '{"ms": 3000}' }), signal: controller.signal });
		expect(result.status).toBe('canceled');
		expect(result.items).toEqual([]);
	});
});

describe('What the model reads is bounded and readable', () => {
	/** `large` answers with a JSON string of `bytes` x's: the answer's length grows one for one with it. */
	const invokeLarge = async (bytes: number) => await runTool({ parameters: invokeParameters('large', { payload: JSON.stringify({ bytes }) }) });

	it(`passes an answer of exactly ${LIMIT_CHARS} characters unchanged and cuts one character more`, async () => {
		const overhead = modelReads(await invokeLarge(1)).length - 1;
		const atLimit = await invokeLarge(LIMIT_CHARS - overhead);
		expect(modelReads(atLimit)).toHaveLength(LIMIT_CHARS);
		expect(atLimit.items[0].json.payload).toEqual('x'.repeat(LIMIT_CHARS - overhead));

		const over = await invokeLarge(LIMIT_CHARS - overhead + 1);
		expect(over.items).toHaveLength(1);
		const marker = over.items[0].json;
		expect(marker).toMatchObject({ truncated: true, originalChars: LIMIT_CHARS + 1, limitChars: LIMIT_CHARS });
		expect(marker.note).toMatch(/outside the agent/);
		expect(modelReads(over).length).toBeLessThanOrEqual(LIMIT_CHARS);
		const preview = marker.preview as string;
		expect(preview.length).toBeGreaterThan(LIMIT_CHARS / 2);
		// The first characters of the JSON text the model would have read.
		expect(preview).toMatch(/^\[\{"statusCode":200,.*"payload":"x+$/);
	});

	it('a 5 MB response reaches the model as a preview that fits the bound', async () => {
		const result = await invokeLarge(5_000_000);
		expect(result.items[0].json).toMatchObject({ truncated: true, originalChars: expect.any(Number) });
		expect(result.items[0].json.originalChars as number).toBeGreaterThan(5_000_000);
		expect(modelReads(result).length).toBeLessThanOrEqual(LIMIT_CHARS);
	});

	it('a binary response becomes a description of the file, since the model cannot read bytes', async () => {
		const result = await runTool({ parameters: invokeParameters('binary') });
		expect(result.items).toHaveLength(1);
		expect(result.items[0].binary).toBeUndefined();
		expect(result.items[0].json.binary).toEqual({
			data: { fileName: 'binary-response', mimeType: expect.any(String), fileSize: expect.any(String) },
		});
	});

	it('ignores Send Input Item as Payload: the input item is the agent\'s own, the Payload field is sent', async () => {
		const result = await runTool({
			parameters: invokeParameters('echo', { payload: '{"orderId":42}', options: { sendInputItem: true } }),
			items: [{ chatInput: 'what does order 42 contain?' }],
		});
		expect(result.status).toBe('success');
		expect(invokes().map((entry) => JSON.parse(entry.payload ?? ''))).toEqual([{ orderId: 42 }]);
	});

	it('List Functions answers one item with a few fields per function', async () => {
		const result = await runTool({ parameters: listParameters({ maxItems: 3 }) });
		expect(result.items).toHaveLength(1);
		const answer = result.items[0].json as { functions: IDataObject[]; count: number; moreAvailable?: boolean };
		expect(answer.count).toBe(3);
		expect(answer.moreAvailable).toBe(true);
		expect(answer.functions.map((fn) => Object.keys(fn).sort())).toEqual(
			Array(3).fill(['Description', 'FunctionName', 'LastModified', 'Runtime']),
		);
		expect(answer.functions[0].FunctionName).toEqual(expect.any(String));
	});

	it('List Functions with no match answers one item saying so, never an empty result', async () => {
		const result = await runTool({
			parameters: listParameters({ options: { functionVersion: 'ALL', masterRegion: 'us-east-1' } }),
		});
		expect(result.items).toHaveLength(1);
		expect(result.items[0].json).toMatchObject({ functions: [], count: 0, note: expect.stringMatching(/No functions matched/) });
	});
});

describe('No secret reaches the model', () => {
	/** Dynamic Credentials read from the agent's item, as a workflow would give them. */
	const fromItem = { dynamicCredentials: { accessKeyId: '={{ $json.k }}', secretAccessKey: '={{ $json.s }}', sessionToken: '={{ $json.t }}' } };
	const keyItem = (key: AwsKey) => [{ k: key.accessKeyId, s: key.secretAccessKey, t: key.sessionToken ?? '' }];
	const echoSecrets = '={{ JSON.stringify({ key: $json.s, token: $json.t }) }}';

	const scenarios: Array<{ name: string; run: ToolRun; echoesSecret: boolean }> = [
		{ name: 'a function answering with the secret it received', run: { parameters: invokeParameters('echo', { ...fromItem, payload: echoSecrets }), items: keyItem(TEMPORARY) }, echoesSecret: true },
		{ name: 'a function failing with the secret it received in its error and logs', run: { parameters: invokeParameters('fail', { ...fromItem, payload: echoSecrets, options: { includeLogs: true } }), items: keyItem(TEMPORARY) }, echoesSecret: true },
		{
			// Copies back to back, more than the bound even once scrubbed: wherever the cut falls, it falls inside one.
			name: 'an answer cut at the bound, with the secret across the cut',
			run: { parameters: invokeParameters('echo', { ...fromItem, payload: '={{ JSON.stringify({ keys: $json.s.repeat(8000) }) }}' }), items: keyItem(TEMPORARY) },
			echoesSecret: true,
		},
		{ name: 'a wrong secret', run: { parameters: invokeParameters('echo'), key: { ...TOOL_KEY, secretAccessKey: `${MARKER}/wrong+tool=` } }, echoesSecret: false },
		{ name: 'a function not found', run: { parameters: invokeParameters('nope'), key: TOOL_KEY }, echoesSecret: false },
		{ name: 'list functions', run: { parameters: listParameters({ maxItems: 5 }), key: TOOL_KEY }, echoesSecret: false },
	];

	it.each(scenarios.map((scenario) => [scenario.name, scenario] as const))('%s', async (_name, scenario) => {
		const result = await runTool(scenario.run);
		expect(result.status).toBe('success');
		const visible = everythingVisible(result, scenario.run.items) + modelReads(result);
		expect(visible.length).toBeGreaterThan(20);
		expect(visible).not.toContain(MARKER);
		expect(visible).not.toContain('fixture-db-password');
		if (scenario.echoesSecret) expect(visible).toContain('[redacted]');
	});

	it('scrubs the temporary session issued during the run, when the role was not assumed before it', async () => {
		// A session name no other test uses: the process-wide session cache holds nothing for it.
		const role = assumeRoleCredential(aws, { roleSessionName: 'tool-cold-session-cache' });
		aws.faults.revealCallerToken(1);
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', { authentication: 'assumeRole' }),
			credentials: { awsLambdaAssumeRoleApi: role },
			asTool: true,
		});
		expect(invokes().map((entry) => entry.fault)).toEqual(['revealCallerToken']);
		expect(aws.log.filter((entry) => entry.action === 'AssumeRole')).toHaveLength(1);
		const answer = modelReads(result);
		expect(answer).toContain('"callerSessionToken":"[redacted]"');
		expect(answer).not.toMatch(/LOCALSESSION/);
	});
});
