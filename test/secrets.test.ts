/**
 * Every scenario of the node, successes and failures, run with recognisable secret values; nothing
 * that n8n shows or stores (output items, error message and description, the error object, logs)
 * may contain one of them.
 */
import type { ICredentialsDecrypted, IDataObject, INodeParameters } from 'n8n-workflow';

import { AwsLambda } from '../nodes/AwsLambda/AwsLambda.node';
import type { AwsKey, LocalAws } from './support/aws-endpoint';
import { DEFAULT_KEY } from './support/aws-endpoint';
import type { CredentialStore } from './support/engine';
import { credentialTestContext } from './support/engine';
import {
	accessKeyCredential,
	assumeRoleCredential,
	everythingVisible,
	invokeParameters,
	listParameters,
	runLambda,
	useLocalAws,
} from './support/lambda-node';

const MARKER = 'SECRET-MARKER';
/** The local STS starts every session token it issues with this. */
const ISSUED_TOKEN = 'LOCALSESSION';
// `/`, `+`, `=` and `"` as real secrets and tokens hold them: JSON text escapes some, URLs encode all.
const LONG_TERM: AwsKey = { accessKeyId: 'AKIALOCALTESTSECRET1', secretAccessKey: `${MARKER}/credential+secret="7f3a=` };
const DYNAMIC: AwsKey = { accessKeyId: 'AKIALOCALTESTSECRET2', secretAccessKey: `${MARKER}+dynamic/"secret=91bc` };
const TEMPORARY: AwsKey = {
	accessKeyId: 'ASIALOCALTESTTOKEN01',
	secretAccessKey: `${MARKER}/temporary+secret"0c4e`,
	sessionToken: `${MARKER}+session/token=55d1==`,
};

let aws: LocalAws;
useLocalAws({ keys: [DEFAULT_KEY, LONG_TERM, DYNAMIC, TEMPORARY] }, (server) => {
	aws = server;
});

interface Scenario {
	name: string;
	parameters: INodeParameters;
	credentials?: () => CredentialStore;
	before?: () => void;
	/** Input items; two plain ones by default. */
	items?: IDataObject[];
	/** The scenario makes AWS or the function print a secret: the scan must find it scrubbed. */
	echoesSecret?: boolean;
}

const keyCredential = (key: AwsKey = LONG_TERM) => ({ awsLambdaAccessKeyApi: accessKeyCredential(aws, key) });
const roleCredential = (extra = {}) => ({
	awsLambdaAssumeRoleApi: assumeRoleCredential(aws, {
		accessKeyId: LONG_TERM.accessKeyId,
		secretAccessKey: LONG_TERM.secretAccessKey,
		...extra,
	}),
});
/** Dynamic Credentials as a workflow gives them: expressions reading a previous node's item. */
const fromItem = { dynamicCredentials: { accessKeyId: '={{ $json.k }}', secretAccessKey: '={{ $json.s }}', sessionToken: '={{ $json.t }}' } };
const keyItems = (key: AwsKey) => [1, 2].map((n) => ({ n, k: key.accessKeyId, s: key.secretAccessKey, t: key.sessionToken ?? '' }));
/** Typed into the node: the node's parameters then hold the secret, and every error carries the node. */
const typedIn = (key: AwsKey) => ({ dynamicCredentials: { ...key } });

const scenarios: Scenario[] = [
	{ name: 'successful invoke', parameters: invokeParameters('echo') },
	{ name: 'function error', parameters: invokeParameters('fail') },
	{ name: 'wrong secret', parameters: invokeParameters('echo'), credentials: () => keyCredential({ ...LONG_TERM, secretAccessKey: `${MARKER}/wrong+secret=` }) },
	{ name: 'unknown key', parameters: invokeParameters('echo'), credentials: () => keyCredential({ accessKeyId: 'AKIALOCALTESTNOBODY1', secretAccessKey: `${MARKER}-nobody` }) },
	{ name: 'throttled until giving up', parameters: invokeParameters('echo', { options: { maxAttempts: 1 } }), before: () => aws.faults.throttle(5) },
	{ name: 'server errors', parameters: invokeParameters('echo', { options: { maxAttempts: 2 } }), before: () => aws.faults.serverError(5) },
	{ name: 'connection reset', parameters: invokeParameters('echo'), before: () => aws.faults.resetConnection(1, { afterFunctionRuns: true }) },
	{ name: 'hung endpoint', parameters: invokeParameters('echo', { options: { timeout: 1 } }), before: () => aws.faults.hang(1) },
	{ name: 'function not found', parameters: invokeParameters('nope') },
	{ name: 'invalid payload', parameters: invokeParameters('echo', { payload: '{broken' }) },
	{ name: 'dynamic keys', parameters: invokeParameters('echo', fromItem), items: keyItems(DYNAMIC) },
	{ name: 'dynamic keys, wrong secret', parameters: invokeParameters('echo', fromItem), items: keyItems({ ...DYNAMIC, secretAccessKey: `${MARKER}/dynamic+wrong=` }) },
	{ name: 'dynamic temporary keys with session token', parameters: invokeParameters('echo', fromItem), items: keyItems(TEMPORARY) },
	{ name: 'dynamic session token, wrong', parameters: invokeParameters('echo', fromItem), items: keyItems({ ...TEMPORARY, sessionToken: `${MARKER}/token+wrong=` }) },
	{ name: 'half a dynamic key pair', parameters: invokeParameters('echo', { dynamicCredentials: { secretAccessKey: '={{ $json.s }}' } }), items: [{ s: `${MARKER}/half+key=` }] },
	{ name: 'dynamic keys typed in', parameters: invokeParameters('echo', typedIn(DYNAMIC)) },
	{ name: 'dynamic keys typed in, wrong secret', parameters: invokeParameters('echo', typedIn({ ...DYNAMIC, secretAccessKey: `${MARKER}/typed+wrong"=` })) },
	{
		name: 'invalid signature quoting the canonical request with a dynamic session token',
		parameters: invokeParameters('echo', fromItem),
		items: keyItems(TEMPORARY),
		before: () => aws.faults.invalidSignature(2),
		echoesSecret: true,
	},
	{ name: 'invalid signature quoting the canonical request (long-term key)', parameters: invokeParameters('echo'), before: () => aws.faults.invalidSignature(2) },
	{
		name: 'invalid signature quoting the canonical request with the assumed role\'s session token',
		parameters: invokeParameters('echo', { authentication: 'assumeRole' }),
		credentials: () => roleCredential({ roleSessionName: 'secrets-canonical' }),
		before: () => aws.faults.invalidSignature(2, { match: { service: 'lambda' } }),
		echoesSecret: true,
	},
	{
		name: 'function logs and error body print the secret it received in its payload',
		parameters: invokeParameters('fail', { ...fromItem, payload: '={{ JSON.stringify({ key: $json.s, token: $json.t }) }}', options: { includeLogs: true } }),
		items: keyItems(TEMPORARY),
		echoesSecret: true,
	},
	{ name: 'assumed role', parameters: invokeParameters('echo', { authentication: 'assumeRole' }), credentials: () => roleCredential({ roleSessionName: 'secrets-ok' }) },
	{ name: 'assumed role, wrong External ID', parameters: invokeParameters('echo', { authentication: 'assumeRole' }), credentials: () => roleCredential({ externalId: 'wrong-one', roleSessionName: 'secrets-denied' }) },
	{ name: 'assumed role, malformed STS answer', parameters: invokeParameters('echo', { authentication: 'assumeRole' }), credentials: () => roleCredential({ roleSessionName: 'secrets-malformed' }), before: () => aws.faults.stsMalformed(1) },
	{ name: 'assumed role, wrong base secret', parameters: invokeParameters('echo', { authentication: 'assumeRole' }), credentials: () => roleCredential({ secretAccessKey: `${MARKER}/base+wrong=`, roleSessionName: 'secrets-base' }) },
	{ name: 'list functions', parameters: listParameters({ maxItems: 3 }) },
	{ name: 'list functions, bad marker', parameters: listParameters({ marker: 'forged' }) },
];

describe('No secret appears anywhere n8n shows or stores', () => {
	// As an AI Agent tool the node answers every failure as an item, which the model reads.
	it.each(
		scenarios.flatMap((scenario) => [
			[scenario.name, scenario, { continueOnFail: false }] as const,
			[`${scenario.name} (Continue On Fail)`, scenario, { continueOnFail: true }] as const,
			[`${scenario.name} (AI Agent tool)`, scenario, { continueOnFail: false, asTool: true }] as const,
		]),
	)(
		'%s',
		async (_name, scenario, mode) => {
			scenario.before?.();
			const items = scenario.items ?? [{ n: 1 }, { n: 2 }];
			const result = await runLambda(aws, {
				parameters: scenario.parameters,
				credentials: scenario.credentials?.() ?? keyCredential(),
				...mode,
				items,
			});
			const visible = everythingVisible(result, items);
			expect(visible.length).toBeGreaterThan(20);
			expect(visible).not.toContain(MARKER);
			expect(visible).not.toContain(ISSUED_TOKEN);
			if (scenario.echoesSecret) expect(visible).toContain('[redacted]');
		},
	);

	it('the credential Test button never echoes a secret', async () => {
		const node = new AwsLambda();
		const test = async (type: string, data: Record<string, unknown>) =>
			await node.methods.credentialTest.awsLambdaCredentialTest.call(credentialTestContext(), { id: '1', name: 't', type, data } as ICredentialsDecrypted);
		const answers = await Promise.all([
			test('awsLambdaAccessKeyApi', accessKeyCredential(aws, LONG_TERM)),
			test('awsLambdaAccessKeyApi', accessKeyCredential(aws, { ...LONG_TERM, secretAccessKey: `${MARKER}-wrong` })),
			test('awsLambdaAccessKeyApi', accessKeyCredential(aws, TEMPORARY)),
			test('awsLambdaAssumeRoleApi', roleCredential({ roleSessionName: 'button-secret' }).awsLambdaAssumeRoleApi),
			test('awsLambdaAssumeRoleApi', roleCredential({ externalId: 'nope-nope', roleSessionName: 'button-secret-2' }).awsLambdaAssumeRoleApi),
		]);
		expect(answers.map((answer) => answer.status)).toEqual(['OK', 'Error', 'OK', 'OK', 'Error']);
		expect(JSON.stringify(answers)).not.toContain(MARKER);
	});

	it('marks every secret field as a password in the UI', () => {
		const node = new AwsLambda();
		const dynamicFields = node.description.properties.find((property) => property.name === 'dynamicCredentials')?.options as Array<{ name: string; typeOptions?: { password?: boolean } }>;
		expect(dynamicFields.filter((field) => field.typeOptions?.password).map((field) => field.name)).toEqual(['secretAccessKey', 'sessionToken']);
	});
});
