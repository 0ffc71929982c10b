/**
 * The Assume Role credential with Credentials Source "n8n Host's AWS Identity": each source the SDK's
 * chain knows (environment, web identity, container credentials, instance profile) served by the local
 * endpoint on loopback, run in n8n's engine with process.env set per test.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ICredentialsDecrypted, IDataObject } from 'n8n-workflow';

import { AwsLambda } from '../nodes/AwsLambda/AwsLambda.node';
import type { AwsKey, LocalAws } from './support/aws-endpoint';
import { DEFAULT_KEY, DEFAULT_ROLE_ARN } from './support/aws-endpoint';
import {
	CONTAINER_CREDENTIALS_PATH,
	DEFAULT_CONTAINER_TOKEN,
	DEFAULT_WEB_IDENTITY_TOKEN,
	WEB_IDENTITY_ROLE_ARN,
} from './support/aws-endpoint/hostIdentity';
import type { RunResult } from './support/engine';
import { credentialTestContext } from './support/engine';
import { assumeRoleCredential, everythingVisible, invokeParameters, runLambda, useLocalAws } from './support/lambda-node';

const OPT_IN = 'N8N_AWS_SYSTEM_CREDENTIALS_ACCESS_ENABLED';
const HOST_ENV_KEY: AwsKey = { accessKeyId: 'AKIALOCALHOSTENV0001', secretAccessKey: 'host-env-secret/DO+NOT=LEAK-0001' };
const DYNAMIC_KEY: AwsKey = { accessKeyId: 'AKIALOCALDYNAMIC0001', secretAccessKey: 'dynamic-secret-DO-NOT-LEAK-0001' };
/** Every variable a host source reads: cleared before each test, restored after. */
const HOST_VARIABLES = [
	OPT_IN,
	'AWS_ACCESS_KEY_ID',
	'AWS_SECRET_ACCESS_KEY',
	'AWS_SESSION_TOKEN',
	'AWS_CREDENTIAL_EXPIRATION',
	'AWS_WEB_IDENTITY_TOKEN_FILE',
	'AWS_ROLE_ARN',
	'AWS_ROLE_SESSION_NAME',
	'AWS_CONTAINER_CREDENTIALS_FULL_URI',
	'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
	'AWS_CONTAINER_AUTHORIZATION_TOKEN',
	'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
	'AWS_EC2_METADATA_SERVICE_ENDPOINT',
	'AWS_EC2_METADATA_DISABLED',
	'AWS_EC2_METADATA_V1_DISABLED',
];
/**
 * A container credentials endpoint of its own: host keys are cached per source settings for the
 * whole process, so a test that counts fetches needs settings no other test used.
 */
const ownContainer = (task: string) => ({
	AWS_CONTAINER_CREDENTIALS_FULL_URI: `${aws.url}${CONTAINER_CREDENTIALS_PATH}${task}`,
	AWS_CONTAINER_AUTHORIZATION_TOKEN: DEFAULT_CONTAINER_TOKEN,
});
/** Lifetime of host keys and sessions that makes them due for renewal one second after issue (5-minute margin). */
const RENEWED_AFTER_ONE_SECOND = 5 * 60 + 1;

let aws: LocalAws;
useLocalAws({ keys: [DEFAULT_KEY, HOST_ENV_KEY, DYNAMIC_KEY] }, (server) => {
	aws = server;
});

let savedEnv: Record<string, string | undefined>;
let tokenDir: string;
beforeEach(() => {
	savedEnv = Object.fromEntries(HOST_VARIABLES.map((name) => [name, process.env[name]]));
	for (const name of HOST_VARIABLES) delete process.env[name];
	tokenDir = mkdtempSync(join(tmpdir(), 'n8n-host-identity-'));
	aws.hostIdentity.lifetimeSeconds = 3600;
	aws.hostIdentity.revoked = false;
	aws.hostIdentity.containerToken = DEFAULT_CONTAINER_TOKEN;
});
afterEach(() => {
	for (const [name, value] of Object.entries(savedEnv)) {
		if (value === undefined) delete process.env[name];
		else process.env[name] = value;
	}
	rmSync(tokenDir, { recursive: true, force: true });
});

function hostEnv(variables: Record<string, string>, optIn = true): void {
	Object.assign(process.env, variables, optIn ? { [OPT_IN]: 'true' } : {});
}

function writeToken(name: string, token: string): string {
	const file = join(tokenDir, name);
	writeFileSync(file, token);
	return file;
}

interface SourceCase {
	name: string;
	/** The Test button's wording for it. */
	said: string;
	env: () => Record<string, string>;
}

const SOURCES: SourceCase[] = [
	{ name: 'instance profile (IMDSv2)', said: 'the instance profile', env: () => ({ AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.url }) },
	{
		name: 'container credentials with a token',
		said: 'the container credentials',
		env: () => ({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${aws.url}${CONTAINER_CREDENTIALS_PATH}n8n-task`, AWS_CONTAINER_AUTHORIZATION_TOKEN: DEFAULT_CONTAINER_TOKEN }),
	},
	{
		name: 'container credentials with a token file (EKS Pod Identity)',
		said: 'the container credentials',
		env: () => ({
			AWS_CONTAINER_CREDENTIALS_FULL_URI: `${aws.url}${CONTAINER_CREDENTIALS_PATH}n8n-task`,
			AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: writeToken('eks-pod-identity-token', DEFAULT_CONTAINER_TOKEN),
		}),
	},
	{
		name: 'web identity token file (EKS IRSA)',
		said: 'the web identity',
		env: () => ({ AWS_WEB_IDENTITY_TOKEN_FILE: writeToken('irsa-token', DEFAULT_WEB_IDENTITY_TOKEN), AWS_ROLE_ARN: WEB_IDENTITY_ROLE_ARN }),
	},
	{
		name: 'environment variables',
		said: 'the environment',
		env: () => ({ AWS_ACCESS_KEY_ID: HOST_ENV_KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: HOST_ENV_KEY.secretAccessKey }),
	},
];

const node = new AwsLambda();
const hostCredential = (extra: IDataObject = {}) =>
	assumeRoleCredential(aws, { credentialsSource: 'host', accessKeyId: '', secretAccessKey: '', ...extra });
const runWithHost = async (extra: IDataObject = {}, parameters: IDataObject = {}, items?: IDataObject[]) =>
	await runLambda(aws, {
		parameters: invokeParameters('echo', { authentication: 'assumeRole', ...parameters }),
		credentials: { awsLambdaAssumeRoleApi: hostCredential(extra) },
		items,
	});
const pressTest = async (extra: IDataObject = {}) =>
	await node.methods.credentialTest.awsLambdaCredentialTest.call(credentialTestContext(), {
		id: '1',
		name: 'host',
		type: 'awsLambdaAssumeRoleApi',
		data: hostCredential(extra),
	} as ICredentialsDecrypted);

const lambdaCalls = () => aws.log.filter((entry) => entry.service === 'lambda');
const assumeRoleCalls = () => aws.log.filter((entry) => entry.action === 'AssumeRole');
const hostKeyIds = () => new Set([HOST_ENV_KEY.accessKeyId, ...aws.hostIdentity.handedOut.map((record) => record.accessKeyId)]);
/** Every host secret and token seen so far: none may show anywhere n8n shows or stores. */
const hostSecrets = () => [
	HOST_ENV_KEY.secretAccessKey,
	DEFAULT_CONTAINER_TOKEN,
	DEFAULT_WEB_IDENTITY_TOKEN,
	'wrong-container-token-DO-NOT-LEAK',
	'rejected-web-identity-token-DO-NOT-LEAK',
	...aws.hostIdentity.handedOut.flatMap((record) => [record.secretAccessKey, record.sessionToken ?? '']),
];

function expectNoHostSecret(shown: string): void {
	for (const secret of hostSecrets()) expect(shown).not.toContain(secret);
}

function expectOnlyAssumedRoleKeysOnLambda(): void {
	const hostKeys = hostKeyIds();
	const lambda = lambdaCalls();
	expect(lambda.length).toBeGreaterThan(0);
	for (const call of lambda) {
		expect(call.accessKeyId).toMatch(/^ASIALOCAL/);
		expect(hostKeys.has(call.accessKeyId ?? '')).toBe(false);
	}
}

describe.each(SOURCES)('Host identity from $name', (source) => {
	it('assumes the role with the host identity and signs Lambda calls only with the role\'s session', async () => {
		hostEnv(source.env());
		const result = await runWithHost({ roleSessionName: 'host-source' }, { options: { concurrency: 10 } }, [{ a: 1 }, { a: 2 }, { a: 3 }]);
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(3);
		expect(assumeRoleCalls()).toHaveLength(1);
		expect(hostKeyIds().has(assumeRoleCalls()[0].accessKeyId ?? '')).toBe(true);
		expectOnlyAssumedRoleKeysOnLambda();
		expectNoHostSecret(everythingVisible(result));
	});

	it('Test button names the role, the session and the source that answered', async () => {
		hostEnv(source.env());
		const answer = await pressTest();
		expect(answer.status).toBe('OK');
		expect(answer.message).toBe(
			`Assumed ${DEFAULT_ROLE_ARN} as arn:aws:sts::123456789012:assumed-role/n8n-lambda-invoker/n8n-aws-lambda using ${source.said}`,
		);
		expectNoHostSecret(JSON.stringify(answer));
	});
});

describe('Host identity opt-in', () => {
	it('without N8N_AWS_SYSTEM_CREDENTIALS_ACCESS_ENABLED, the execution fails naming the variable and touches no host source', async () => {
		hostEnv({ AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.url }, false);
		const result = await runWithHost();
		expect(result.error?.message).toBe('Credential field Credentials Source (item 0): n8n Host\'s AWS Identity is turned off on this n8n instance');
		expect(result.error?.description).toContain('N8N_AWS_SYSTEM_CREDENTIALS_ACCESS_ENABLED=true');
		expect(aws.log).toHaveLength(0);
	});

	it('without the opt-in, the Test button fails naming the variable', async () => {
		hostEnv({ AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.url }, false);
		const answer = await pressTest();
		expect(answer.status).toBe('Error');
		expect(answer.message).toContain('N8N_AWS_SYSTEM_CREDENTIALS_ACCESS_ENABLED=true');
		expect(aws.log).toHaveLength(0);
	});

	it('any value other than true leaves it off', async () => {
		hostEnv({ AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.url, [OPT_IN]: '1' }, false);
		expect((await runWithHost()).error?.message).toMatch(/turned off/);
	});
});

describe('Host identity failures name the source and why', () => {
	const webIdentityFix = /^Check the service account's eks\.amazonaws\.com\/role-arn annotation/;
	const cases: Array<{ name: string; env: () => Record<string, string>; message: RegExp; fix: RegExp }> = [
		{
			name: 'instance metadata unreachable',
			env: () => ({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9' }),
			message: /n8n host's AWS identity \(instance profile\) could not be had: the instance metadata service at http:\/\/127\.0\.0\.1:9 is unreachable/,
			fix: /^On EC2, attach an instance profile/,
		},
		{
			name: 'container credentials refused (wrong token)',
			env: () => ({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${aws.url}${CONTAINER_CREDENTIALS_PATH}other-task`, AWS_CONTAINER_AUTHORIZATION_TOKEN: 'wrong-container-token-DO-NOT-LEAK' }),
			message: /n8n host's AWS identity \(container credentials\) could not be had: the container credentials endpoint http:\/\/127\.0\.0\.1:\d+\/container-credentials\/other-task refused/,
			fix: /^On ECS, give the task definition a task role/,
		},
		{
			name: 'web identity token rejected',
			env: () => ({ AWS_WEB_IDENTITY_TOKEN_FILE: writeToken('bad', 'rejected-web-identity-token-DO-NOT-LEAK'), AWS_ROLE_ARN: WEB_IDENTITY_ROLE_ARN }),
			message: /n8n host's AWS identity \(web identity\) could not be had: STS rejected the web identity token for arn:aws:iam::123456789012:role\/n8n-host-irsa-role \(The ID token provided is not a valid JWT/,
			fix: webIdentityFix,
		},
		{
			name: 'web identity token file missing',
			env: () => ({ AWS_WEB_IDENTITY_TOKEN_FILE: join(tokenDir, 'absent'), AWS_ROLE_ARN: WEB_IDENTITY_ROLE_ARN }),
			message: /\(web identity\) could not be had: the token file .*absent cannot be read: it does not exist/,
			fix: webIdentityFix,
		},
		{
			name: 'web identity token file is a directory',
			env: () => ({ AWS_WEB_IDENTITY_TOKEN_FILE: tokenDir, AWS_ROLE_ARN: WEB_IDENTITY_ROLE_ARN }),
			message: /\(web identity\) could not be had: the token file .* cannot be read: it is a directory/,
			fix: webIdentityFix,
		},
		{
			name: 'environment variables without a secret',
			env: () => ({ AWS_ACCESS_KEY_ID: HOST_ENV_KEY.accessKeyId }),
			message: /\(environment\) could not be had: the environment variables hold no complete key pair \(/,
			fix: /^Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
		},
		{
			name: 'nothing configured',
			env: () => ({ AWS_EC2_METADATA_DISABLED: 'true' }),
			message: /the n8n host has no AWS identity: nothing is configured/,
			fix: /^Give the n8n host an identity/,
		},
	];

	it.each(cases)('$name: the execution fails with a clear error', async ({ env, message, fix }) => {
		hostEnv(env());
		const result = await runWithHost();
		expectClearHostError(result, message);
		expect(result.error?.description).toMatch(fix);
		expect(lambdaCalls()).toHaveLength(0);
	});

	it.each(cases)('$name: the Test button says the same', async ({ env, message }) => {
		hostEnv(env());
		const answer = await pressTest();
		expect(answer.status).toBe('Error');
		expect(answer.message).toMatch(message);
		expect(answer.message).not.toMatch(/Could not load credentials from any providers/);
		expectNoHostSecret(answer.message);
	});
});

function expectClearHostError(result: RunResult, message: RegExp): void {
	expect(result.error?.message).toMatch(/^Assume role failed \(item 0\): /);
	expect(result.error?.message).toMatch(message);
	expect(result.error?.message).toContain(`(needed to assume ${DEFAULT_ROLE_ARN})`);
	expect(result.error?.description).not.toBe('');
	expect(everythingVisible(result)).not.toMatch(/Could not load credentials from any providers/);
	expectNoHostSecret(everythingVisible(result));
}

describe('Host identity sessions', () => {
	it('a Session Duration over 3,600 seconds is refused as role chaining, in executions and the Test button', async () => {
		hostEnv({ AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.url });
		const result = await runWithHost({ durationSeconds: 7200 });
		expect(result.error?.message).toBe(
			'Credential field Session Duration (item 0): 7200 seconds is over the 3,600 AWS allows when the n8n host\'s AWS identity assumes the role (role chaining)',
		);
		expect(result.error?.description).toBe('Set Session Duration to 3,600 seconds or less. Sessions are renewed automatically before they expire.');
		expect((await pressTest({ durationSeconds: 7200 })).message).toMatch(/Session Duration .*role chaining/);
		expect(aws.log).toHaveLength(0);
	});

	it('host keys expiring during an execution at concurrency 10 are fetched again once, not per item', async () => {
		hostEnv(ownContainer('expiring-run'));
		aws.hostIdentity.lifetimeSeconds = RENEWED_AFTER_ONE_SECOND;
		aws.faults.stsExpirySeconds(RENEWED_AFTER_ONE_SECOND);
		const fetchedBefore = aws.hostIdentity.issued.container;
		const items = Array.from({ length: 40 }, (_, i) => ({ i, ms: 400 }));
		const result = await runLambda(aws, {
			parameters: invokeParameters('slow', { authentication: 'assumeRole', payload: '={{ JSON.stringify({ ms: $json.ms }) }}', options: { concurrency: 10 } }),
			credentials: { awsLambdaAssumeRoleApi: hostCredential({ roleSessionName: 'expiring-run' }) },
			items,
		});
		expect(result.error).toBeUndefined();
		expect(result.items.filter((item) => item.json.error === undefined)).toHaveLength(40);
		const fetched = aws.hostIdentity.issued.container - fetchedBefore;
		expect(fetched).toBeGreaterThanOrEqual(2);
		expect(fetched).toBeLessThanOrEqual(3);
		const signers = assumeRoleCalls().map((call) => call.accessKeyId);
		expect(signers).toHaveLength(fetched);
		expect(new Set(signers).size).toBe(fetched);
		expectOnlyAssumedRoleKeysOnLambda();
		expectNoHostSecret(everythingVisible(result, items));
	});

	it('the host keys are fetched once for the whole process, however many roles and executions use them', async () => {
		hostEnv(ownContainer('shared-by-roles'));
		const fetchedBefore = aws.hostIdentity.issued.container;
		for (const roleSessionName of ['first-workflow', 'second-workflow', 'first-workflow']) {
			expect((await runWithHost({ roleSessionName }, { options: { concurrency: 10 } }, [{ a: 1 }, { a: 2 }])).error).toBeUndefined();
		}
		expect(aws.hostIdentity.issued.container - fetchedBefore).toBe(1);
		expect(assumeRoleCalls().map((call) => call.roleSessionName)).toEqual(['first-workflow', 'second-workflow']);
	});

	it('a new host identity (the instance role changed) assumes the role again instead of reusing the old session', async () => {
		hostEnv(ownContainer('changed-host'));
		aws.hostIdentity.lifetimeSeconds = RENEWED_AFTER_ONE_SECOND;
		const credential = { roleSessionName: 'changed-host' };
		await runWithHost(credential);
		await runWithHost(credential);
		expect(assumeRoleCalls()).toHaveLength(1);
		await new Promise((resolve) => setTimeout(resolve, 1500));
		const later = await runWithHost(credential);
		expect(later.error).toBeUndefined();
		const [first, second] = assumeRoleCalls().map((call) => call.accessKeyId);
		expect(second).toBeDefined();
		expect(second).not.toBe(first);
	});

	it('host keys AWS reports as expired before their time are fetched again, and the item succeeds', async () => {
		hostEnv(ownContainer('revoked-host'));
		const credential = { roleSessionName: 'revoked-host' };
		expect((await runWithHost(credential)).error).toBeUndefined();
		const fetchedBefore = aws.hostIdentity.issued.container;
		aws.faults.expireSessions();
		const result = await runWithHost(credential);
		expect(result.error).toBeUndefined();
		expect(aws.hostIdentity.issued.container - fetchedBefore).toBe(1);
		expect(assumeRoleCalls().map((call) => call.status)).toEqual([200, 403, 200]);
	});

	it('host keys AWS keeps refusing as expired are fetched again once, then the item fails', async () => {
		hostEnv(ownContainer('always-revoked'));
		aws.hostIdentity.revoked = true;
		const fetchedBefore = aws.hostIdentity.issued.container;
		const result = await runWithHost({ roleSessionName: 'always-revoked' });
		expect(result.error?.message).toMatch(/^Assume role failed \(item 0\): /);
		expect(aws.hostIdentity.issued.container - fetchedBefore).toBe(2);
		expect(assumeRoleCalls().map((call) => call.status)).toEqual([403, 403]);
		expect(lambdaCalls()).toHaveLength(0);
	});

	it('keeps apart host sessions that differ only in External ID or STS endpoint', async () => {
		hostEnv(ownContainer('host-kept-apart'));
		expect((await runWithHost({ roleSessionName: 'host-kept-apart' })).error).toBeUndefined();
		const wrongId = await runWithHost({ roleSessionName: 'host-kept-apart', externalId: 'not-the-external-id' });
		expect(wrongId.error?.message).toMatch(/^Assume role failed \(item 0\): not allowed to assume/);
		const otherSts = await runWithHost({ roleSessionName: 'host-kept-apart', stsEndpoint: aws.url.replace('127.0.0.1', '127.0.0.2') });
		expect(otherSts.error?.message).toMatch(/^Assume role failed \(item 0\): could not reach the AWS endpoint/);
		expect(assumeRoleCalls()).toHaveLength(2);
	});

	it('Dynamic Credentials replace the host identity as the identity that assumes the role', async () => {
		hostEnv({ AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.url });
		const fetchedBefore = aws.hostIdentity.issued.imds;
		const result = await runWithHost(
			{ roleSessionName: 'dynamic-over-host' },
			{ dynamicCredentials: { accessKeyId: '={{ $json.k }}', secretAccessKey: '={{ $json.s }}' } },
			[{ k: DYNAMIC_KEY.accessKeyId, s: DYNAMIC_KEY.secretAccessKey }],
		);
		expect(result.error).toBeUndefined();
		expect(assumeRoleCalls().map((call) => call.accessKeyId)).toEqual([DYNAMIC_KEY.accessKeyId]);
		expect(aws.hostIdentity.issued.imds).toBe(fetchedBefore);
	});

	it('an STS error quoting the host\'s session token shows neither the host token nor its secret', async () => {
		hostEnv({ AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.url });
		aws.faults.invalidSignature(1, { match: { service: 'sts' } });
		const result = await runWithHost({ roleSessionName: 'quoted-host-token' });
		expect(result.error?.message).toMatch(/^Assume role failed/);
		// AWS quoted the canonical request, with the host session's token header: the scan can fail.
		expect(result.error?.description).toContain('x-amz-security-token:[redacted]');
		expectNoHostSecret(everythingVisible(result));
	});
});
