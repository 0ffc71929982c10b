/**
 * Every scenario of the node, successes and failures, run with recognisable secret values; nothing
 * that n8n shows or stores (output items, error message and description, the error object, logs)
 * may contain one of them.
 */
import type { ICredentialsDecrypted, INodeParameters } from 'n8n-workflow';

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
const LONG_TERM: AwsKey = { accessKeyId: 'AKIALOCALTESTSECRET1', secretAccessKey: `${MARKER}-credential-secret-7f3a` };
const DYNAMIC: AwsKey = { accessKeyId: 'AKIALOCALTESTSECRET2', secretAccessKey: `${MARKER}-dynamic-secret-91bc` };
const TEMPORARY: AwsKey = {
	accessKeyId: 'ASIALOCALTESTTOKEN01',
	secretAccessKey: `${MARKER}-temporary-secret-0c4e`,
	sessionToken: `${MARKER}-session-token-55d1`,
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
}

const keyCredential = (key: AwsKey = LONG_TERM) => ({ awsLambdaAccessKeyApi: accessKeyCredential(aws, key) });
const roleCredential = (extra = {}) => ({
	awsLambdaAssumeRoleApi: assumeRoleCredential(aws, {
		accessKeyId: LONG_TERM.accessKeyId,
		secretAccessKey: LONG_TERM.secretAccessKey,
		...extra,
	}),
});
const dynamic = (key: AwsKey) => ({ dynamicCredentials: { ...key } });

const scenarios: Scenario[] = [
	{ name: 'successful invoke', parameters: invokeParameters('echo') },
	{ name: 'function error', parameters: invokeParameters('fail') },
	{ name: 'wrong secret', parameters: invokeParameters('echo'), credentials: () => keyCredential({ ...LONG_TERM, secretAccessKey: `${MARKER}-wrong-secret` }) },
	{ name: 'unknown key', parameters: invokeParameters('echo'), credentials: () => keyCredential({ accessKeyId: 'AKIALOCALTESTNOBODY1', secretAccessKey: `${MARKER}-nobody` }) },
	{ name: 'throttled until giving up', parameters: invokeParameters('echo', { options: { maxAttempts: 1 } }), before: () => aws.faults.throttle(5) },
	{ name: 'server errors', parameters: invokeParameters('echo', { options: { maxAttempts: 2 } }), before: () => aws.faults.serverError(5) },
	{ name: 'connection reset', parameters: invokeParameters('echo'), before: () => aws.faults.resetConnection(1, { afterFunctionRuns: true }) },
	{ name: 'hung endpoint', parameters: invokeParameters('echo', { options: { timeout: 1 } }), before: () => aws.faults.hang(1) },
	{ name: 'function not found', parameters: invokeParameters('nope') },
	{ name: 'invalid payload', parameters: invokeParameters('echo', { payload: '{broken' }) },
	{ name: 'dynamic keys', parameters: invokeParameters('echo', dynamic(DYNAMIC)) },
	{ name: 'dynamic keys, wrong secret', parameters: invokeParameters('echo', dynamic({ ...DYNAMIC, secretAccessKey: `${MARKER}-dynamic-wrong` })) },
	{ name: 'dynamic temporary keys with session token', parameters: invokeParameters('echo', dynamic(TEMPORARY)) },
	{ name: 'dynamic session token, wrong', parameters: invokeParameters('echo', dynamic({ ...TEMPORARY, sessionToken: `${MARKER}-token-wrong` })) },
	{ name: 'half a dynamic key pair', parameters: invokeParameters('echo', { dynamicCredentials: { secretAccessKey: `${MARKER}-half` } }) },
	{ name: 'assumed role', parameters: invokeParameters('echo', { authentication: 'assumeRole' }), credentials: () => roleCredential({ roleSessionName: 'secrets-ok' }) },
	{ name: 'assumed role, wrong External ID', parameters: invokeParameters('echo', { authentication: 'assumeRole' }), credentials: () => roleCredential({ externalId: 'wrong-one', roleSessionName: 'secrets-denied' }) },
	{ name: 'assumed role, malformed STS answer', parameters: invokeParameters('echo', { authentication: 'assumeRole' }), credentials: () => roleCredential({ roleSessionName: 'secrets-malformed' }), before: () => aws.faults.stsMalformed(1) },
	{ name: 'assumed role, wrong base secret', parameters: invokeParameters('echo', { authentication: 'assumeRole' }), credentials: () => roleCredential({ secretAccessKey: `${MARKER}-base-wrong`, roleSessionName: 'secrets-base' }) },
	{ name: 'list functions', parameters: listParameters({ maxItems: 3 }) },
	{ name: 'list functions, bad marker', parameters: listParameters({ marker: 'forged' }) },
];

describe('No secret appears anywhere n8n shows or stores', () => {
	let scans = 0;
	afterAll(() => {
		// 21 scenarios, with and without Continue On Fail.
		expect(scans).toBe(scenarios.length * 2);
	});

	it.each(scenarios.flatMap((scenario) => [[scenario.name, scenario, false] as const, [`${scenario.name} (Continue On Fail)`, scenario, true] as const]))(
		'%s',
		async (_name, scenario, continueOnFail) => {
			scenario.before?.();
			const result = await runLambda(aws, {
				parameters: scenario.parameters,
				credentials: scenario.credentials?.() ?? keyCredential(),
				continueOnFail,
				items: [{ n: 1 }, { n: 2 }],
			});
			const visible = everythingVisible(result);
			expect(visible.length).toBeGreaterThan(20);
			expect(visible).not.toContain(MARKER);
			scans++;
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
