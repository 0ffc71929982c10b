import type { ICredentialsDecrypted } from 'n8n-workflow';

import { AwsLambda } from '../nodes/AwsLambda/AwsLambda.node';
import { readEndpoints, readRoleSettings, resolveAccess } from '../nodes/AwsLambda/transport/credentials';
import type { AwsKey } from './support/aws-endpoint';
import type { LocalAws } from './support/aws-endpoint';
import { DEFAULT_EXTERNAL_ID, DEFAULT_KEY, DEFAULT_ROLE_ARN } from './support/aws-endpoint';
import { credentialTestContext } from './support/engine';
import {
	accessKeyCredential,
	assumeRoleCredential,
	everythingVisible,
	invokeParameters,
	runLambda,
	useLocalAws,
} from './support/lambda-node';

const TEST_NODE = { id: 'n', name: 'AWS Lambda', type: 'n8n-nodes-aws-lambda.awsLambda', typeVersion: 1, position: [0, 0] as [number, number] };
const SECOND_KEY: AwsKey = {
	accessKeyId: 'AKIALOCALTEST0000002',
	secretAccessKey: 'second-local-secret-DO-NOT-LEAK-0002',
};

let aws: LocalAws;
useLocalAws({ keys: [DEFAULT_KEY, SECOND_KEY] }, (server) => {
	aws = server;
});

const lambdaCalls = () => aws.log.filter((entry) => entry.service === 'lambda');
const assumeRoleCalls = () => aws.log.filter((entry) => entry.action === 'AssumeRole');
const roleCredential = (extra = {}) => ({ awsLambdaAssumeRoleApi: assumeRoleCredential(aws, extra) });
const assumeRoleParameters = (extra = {}) =>
	invokeParameters('echo', { authentication: 'assumeRole', ...extra });

describe('Access key credential', () => {
	it('signs with the credential\'s keys', async () => {
		const result = await runLambda(aws, { parameters: invokeParameters('echo') });
		expect(result.error).toBeUndefined();
		expect(lambdaCalls()[0]).toMatchObject({ accessKeyId: DEFAULT_KEY.accessKeyId, signatureValid: true });
	});

	it('reports a wrong secret as a signature mismatch, without showing the secret', async () => {
		const wrongSecret = 'wrong-secret-value-DO-NOT-LEAK-1234';
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo'),
			credentials: {
				awsLambdaAccessKeyApi: accessKeyCredential(aws, { ...DEFAULT_KEY, secretAccessKey: wrongSecret }),
			},
		});
		expect(result.error?.message).toMatch(/secret access key is wrong/);
		expect(lambdaCalls()[0].signatureValid).toBe(false);
		expect(everythingVisible(result)).not.toContain(wrongSecret);
	});

	it('reports an unknown access key', async () => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo'),
			credentials: {
				awsLambdaAccessKeyApi: accessKeyCredential(aws, {
					accessKeyId: 'AKIALOCALTESTUNKNOWN',
					secretAccessKey: 'unknown-secret-DO-NOT-LEAK',
				}),
			},
		});
		expect(result.error?.message).toMatch(/does not recognise the access key ID/);
		expect(everythingVisible(result)).not.toContain('unknown-secret-DO-NOT-LEAK');
	});
});

describe('Access key credential that is incomplete', () => {
	it.each([
		['Access Key ID', { accessKeyId: '  ' }],
		['Secret Access Key', { secretAccessKey: '' }],
	])('without its %s: names the credential and how to fix it, before any request', async (_field, extra) => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo'),
			credentials: { awsLambdaAccessKeyApi: accessKeyCredential(aws, { ...DEFAULT_KEY, ...extra }) },
		});
		expect(result.error?.message).toBe(
			'AWS Lambda (Access Key) API credential (item 0): the credential has no Access Key ID or no Secret Access Key',
		);
		expect(result.error?.description).toBe(
			'Open the credential and fill both fields, or supply them in Dynamic Credentials.',
		);
		expect(aws.log).toHaveLength(0);
	});
});

describe('Dynamic credentials', () => {
	it('override the credential per item', async () => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', {
				dynamicCredentials: {
					accessKeyId: '={{ $json.keyId }}',
					secretAccessKey: '={{ $json.secret }}',
				},
				options: { concurrency: 1 },
			}),
			items: [
				{ keyId: SECOND_KEY.accessKeyId, secret: SECOND_KEY.secretAccessKey },
				{ keyId: DEFAULT_KEY.accessKeyId, secret: DEFAULT_KEY.secretAccessKey },
			],
		});
		expect(result.error).toBeUndefined();
		expect(lambdaCalls().map((entry) => entry.accessKeyId)).toEqual([
			SECOND_KEY.accessKeyId,
			DEFAULT_KEY.accessKeyId,
		]);
		expect(everythingVisible(result)).not.toContain(SECOND_KEY.secretAccessKey);
	});

	it('reject half a key pair, naming the missing field and the item, before any request', async () => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', {
				dynamicCredentials: { accessKeyId: '={{ $json.keyId }}' },
			}),
			items: [{ keyId: SECOND_KEY.accessKeyId }],
		});
		expect(result.error?.message).toBe(
			'Dynamic Secret Access Key (item 0): is empty while the other half of the key pair is set',
		);
		expect(result.error?.description).toBe(
			'Fill both Dynamic Access Key ID and Dynamic Secret Access Key, or clear both to use the credential.',
		);
		expect(lambdaCalls()).toHaveLength(0);
	});

	it('reject a session token without a key pair', async () => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', { dynamicCredentials: { sessionToken: '={{ $json.token }}' } }),
			items: [{ token: 'token-only' }],
		});
		expect(result.error?.message).toBe('Dynamic Session Token (item 0): a session token was given without an access key pair');
		expect(result.error?.description).toBe(
			'A session token belongs to temporary keys: also fill Dynamic Access Key ID and Dynamic Secret Access Key, or clear the token.',
		);
		expect(lambdaCalls()).toHaveLength(0);
	});

	// Without a credential there is no Custom Endpoint, and AWS_ENDPOINT_URL* are ignored on purpose:
	// checked on the signing material, so that no request leaves loopback.
	it('need no credential at all when every key is dynamic', () => {
		const node = { ...TEST_NODE, parameters: { dynamicCredentials: { accessKeyId: SECOND_KEY.accessKeyId, secretAccessKey: '={{ $json.secret }}' } } };
		const access = resolveAccess({
			node,
			itemIndex: 0,
			authentication: 'accessKey',
			dynamic: { accessKeyId: SECOND_KEY.accessKeyId, secretAccessKey: SECOND_KEY.secretAccessKey },
			region: 'us-east-1',
		});
		expect(access.credentials).toEqual({ ...SECOND_KEY, sessionToken: undefined });
		expect(access.lambdaEndpoint).toBeUndefined();
	});

	it('explain what is missing when there is neither a credential nor dynamic keys', async () => {
		const result = await runLambda(aws, { parameters: invokeParameters('echo'), credentials: {} });
		expect(result.error?.message).toMatch(/^Credential \(item 0\): no AWS Lambda \(Access Key\) API credential/);
		expect(result.error?.description).toBe(
			'Select an AWS Lambda (Access Key) API credential, or fill Dynamic Access Key ID and Dynamic Secret Access Key.',
		);
	});
});

describe('Dynamic secrets come from expressions only', () => {
	const typedIn = 'typed-in-secret-DO-NOT-LEAK-0003';

	it.each([
		['Dynamic Secret Access Key', { accessKeyId: SECOND_KEY.accessKeyId, secretAccessKey: typedIn }],
		[
			'Dynamic Session Token',
			{ accessKeyId: SECOND_KEY.accessKeyId, secretAccessKey: '={{ $json.secret }}', sessionToken: typedIn },
		],
	])('refuse a typed-in %s before any request, saying why and what to use', async (field, dynamicCredentials) => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', { dynamicCredentials }),
			items: [{ secret: SECOND_KEY.secretAccessKey }],
		});
		expect(result.error?.message).toBe(
			`${field} (item 0): a typed-in value is stored in plain text in the workflow, its history and every execution`,
		);
		expect(result.error?.description).toMatch(/expression/);
		expect(result.error?.description).toMatch(/\$secrets/);
		expect(result.error?.message).not.toContain(typedIn);
		expect(result.error?.description).not.toContain(typedIn);
		expect(aws.log).toHaveLength(0);
	});

	it('accept a typed-in Dynamic Access Key ID: it is not a secret', async () => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', {
				dynamicCredentials: { accessKeyId: SECOND_KEY.accessKeyId, secretAccessKey: '={{ $json.secret }}' },
			}),
			items: [{ secret: SECOND_KEY.secretAccessKey }],
		});
		expect(result.error).toBeUndefined();
		expect(lambdaCalls()[0]).toMatchObject({ accessKeyId: SECOND_KEY.accessKeyId, signatureValid: true });
	});

	it('treat a field that holds only spaces as empty: the credential\'s keys sign', async () => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', { dynamicCredentials: { secretAccessKey: '   ', sessionToken: ' ' } }),
		});
		expect(result.error).toBeUndefined();
		expect(lambdaCalls()[0]).toMatchObject({ accessKeyId: DEFAULT_KEY.accessKeyId, signatureValid: true });
	});

	it('say how to fix an expression that resolves to nothing', async () => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', {
				dynamicCredentials: { accessKeyId: SECOND_KEY.accessKeyId, secretAccessKey: '={{ $json.missing }}' },
			}),
		});
		expect(result.error?.message).toBe('Dynamic Secret Access Key (item 0): the expression resolved to an empty value');
		expect(result.error?.description).toBe(
			'Check the expression and the item it reads. To sign with the credential\'s keys instead, clear the field.',
		);
		expect(aws.log).toHaveLength(0);
	});

	it('fail only the item whose expression resolves to nothing, instead of falling back to the credential', async () => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', {
				dynamicCredentials: { accessKeyId: '={{ $json.keyId }}', secretAccessKey: '={{ $json.secret }}' },
			}),
			items: [
				{ keyId: SECOND_KEY.accessKeyId, secret: SECOND_KEY.secretAccessKey },
				{ keyId: SECOND_KEY.accessKeyId, secret: '' },
				{ keyId: null, secret: null },
				{ keyId: SECOND_KEY.accessKeyId, secret: SECOND_KEY.secretAccessKey },
			],
			continueOnFail: true,
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.error ?? 'ok')).toEqual([
			'ok',
			'Dynamic Secret Access Key (item 1): the expression resolved to an empty value',
			'Dynamic Access Key ID (item 2): the expression resolved to an empty value',
			'ok',
		]);
		expect(lambdaCalls().map((entry) => entry.accessKeyId)).toEqual([SECOND_KEY.accessKeyId, SECOND_KEY.accessKeyId]);
	});
});

describe('Assume role credential', () => {
	it('assumes the role once for 1,000 items and signs with the temporary keys', async () => {
		const result = await runLambda(aws, {
			parameters: assumeRoleParameters({ options: { concurrency: 10 } }),
			items: Array.from({ length: 1000 }, (_, i) => ({ i })),
			credentials: roleCredential({ roleSessionName: 'thousand-items' }),
		});
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(1000);
		expect(assumeRoleCalls()).toHaveLength(1);
		expect(assumeRoleCalls()[0]).toMatchObject({
			roleArn: DEFAULT_ROLE_ARN,
			externalId: DEFAULT_EXTERNAL_ID,
			roleSessionName: 'thousand-items',
			durationSeconds: 3600,
			accessKeyId: DEFAULT_KEY.accessKeyId,
		});
		const invokes = lambdaCalls();
		expect(invokes).toHaveLength(1000);
		expect(invokes.every((entry) => entry.hasSessionToken && entry.accessKeyId?.startsWith('ASIA'))).toBe(true);
	});

	it('reuses the session across executions and renews it shortly before it expires', async () => {
		aws.faults.stsExpirySeconds(5 * 60 + 2);
		const credentials = roleCredential({ roleSessionName: 'renewal' });
		await runLambda(aws, { parameters: assumeRoleParameters(), credentials });
		await runLambda(aws, { parameters: assumeRoleParameters(), credentials });
		expect(assumeRoleCalls()).toHaveLength(1);
		await new Promise((resolve) => setTimeout(resolve, 2500));
		const later = await runLambda(aws, { parameters: assumeRoleParameters(), credentials });
		expect(later.error).toBeUndefined();
		expect(assumeRoleCalls()).toHaveLength(2);
	});

	it('renews a session that AWS reports as expired mid-execution, and the item succeeds', async () => {
		const credentials = roleCredential({ roleSessionName: 'revoked' });
		await runLambda(aws, { parameters: assumeRoleParameters(), credentials });
		aws.faults.expireSessions();
		const result = await runLambda(aws, { parameters: assumeRoleParameters(), credentials });
		expect(result.error).toBeUndefined();
		expect(assumeRoleCalls()).toHaveLength(2);
		expect(lambdaCalls().map((entry) => entry.status)).toEqual([200, 403, 200]);
	});

	it('uses dynamic keys as the identity that assumes the role', async () => {
		const result = await runLambda(aws, {
			parameters: assumeRoleParameters({
				dynamicCredentials: { accessKeyId: SECOND_KEY.accessKeyId, secretAccessKey: '={{ $json.secret }}' },
			}),
			items: [{ secret: SECOND_KEY.secretAccessKey }],
			credentials: roleCredential({ roleSessionName: 'dynamic-base' }),
		});
		expect(result.error).toBeUndefined();
		expect(assumeRoleCalls()[0].accessKeyId).toBe(SECOND_KEY.accessKeyId);
	});

	it('assumes the role once per dynamic identity and signs each item with its own session', async () => {
		const result = await runLambda(aws, {
			parameters: assumeRoleParameters({
				dynamicCredentials: { accessKeyId: '={{ $json.keyId }}', secretAccessKey: '={{ $json.secret }}' },
				options: { concurrency: 1 },
			}),
			items: [
				{ keyId: SECOND_KEY.accessKeyId, secret: SECOND_KEY.secretAccessKey },
				{ keyId: DEFAULT_KEY.accessKeyId, secret: DEFAULT_KEY.secretAccessKey },
			],
			credentials: roleCredential({ roleSessionName: 'per-item-base' }),
		});
		expect(result.error).toBeUndefined();
		const sessions = assumeRoleCalls();
		expect(sessions.map((call) => call.accessKeyId)).toEqual([SECOND_KEY.accessKeyId, DEFAULT_KEY.accessKeyId]);
		expect(new Set(lambdaCalls().map((call) => call.accessKeyId)).size).toBe(2);
	});

	it('names the role and the step when the External ID is wrong', async () => {
		const result = await runLambda(aws, {
			parameters: assumeRoleParameters(),
			credentials: roleCredential({ externalId: 'wrong-external-id', roleSessionName: 'wrong-id' }),
		});
		expect(result.error?.message).toBe(
			`Assume role failed (item 0): not allowed to assume ${DEFAULT_ROLE_ARN}`,
		);
		expect(result.error?.description).toMatch(/External ID/);
		expect(lambdaCalls()).toHaveLength(0);
	});

	it.each(['truncated', 'withoutCredentials'] as const)('reports an STS answer that is %s as unusable, not as a refusal', async (shape) => {
		aws.faults.stsMalformed(1, shape);
		const result = await runLambda(aws, {
			parameters: assumeRoleParameters(),
			credentials: roleCredential({ roleSessionName: `malformed-${shape}` }),
		});
		expect(result.error?.message).toBe(
			`Assume role failed (item 0): STS returned a response without usable temporary credentials for ${DEFAULT_ROLE_ARN}`,
		);
		expect(result.error?.description).toBe('Check the STS Endpoint in the credential: it must point at AWS STS (or a compatible service).');
		expect(lambdaCalls()).toHaveLength(0);
	});

	it('reports a connection to STS that drops mid-answer as a network failure, not as a malformed answer', async () => {
		aws.faults.resetConnection(3, { stage: 'midBody', match: { service: 'sts' } });
		const result = await runLambda(aws, {
			parameters: assumeRoleParameters(),
			credentials: roleCredential({ roleSessionName: 'dropped-sts' }),
		});
		expect(result.error?.message).toBe(
			`Assume role failed (item 0): the connection was closed before AWS answered (while assuming ${DEFAULT_ROLE_ARN})`,
		);
		expect(lambdaCalls()).toHaveLength(0);
	});

	it.each([
		[502, 'a proxy or gateway between n8n and STS'],
		[404, 'the STS endpoint'],
	])('reports an HTTP %i page without an AWS error from STS as %s\'s, without quoting its parser', async (status, who) => {
		aws.faults.gatewayError(3, { status, html: true, match: { service: 'sts' } });
		const result = await runLambda(aws, {
			parameters: assumeRoleParameters(),
			credentials: roleCredential({ roleSessionName: `gateway-sts-${status}` }),
		});
		expect(result.error?.message).toBe(
			`Assume role failed (item 0): ${who} answered HTTP ${status} without an AWS error (while assuming ${DEFAULT_ROLE_ARN})`,
		);
		expect(result.error?.description).toMatch(/^Check the STS Endpoint in the credential \(Custom Endpoints\) and the proxy/);
		expect(result.error?.description).not.toMatch(/AWS said|Deserialization/);
		expect(lambdaCalls()).toHaveLength(0);
	});

	it('validates the role settings before calling STS', async () => {
		const cases: Array<[Record<string, unknown>, RegExp]> = [
			[{ roleArn: 'arn:aws:iam::123:user/x' }, /Role ARN.*is not an IAM role ARN/],
			[{ roleArn: '' }, /^Credential field Role ARN \(item 0\): "" is not an IAM role ARN$/],
			[{ roleArn: `x${DEFAULT_ROLE_ARN}` }, /Role ARN.*is not an IAM role ARN/],
			[{ roleArn: `${DEFAULT_ROLE_ARN} x` }, /Role ARN.*is not an IAM role ARN/],
			[{ roleSessionName: 'session name' }, /Role Session Name/],
			[{ roleSessionName: '!session' }, /Role Session Name/],
			[{ externalId: 'bad id with spaces' }, /External ID/],
			[{ roleSessionName: 'x' }, /Role Session Name/],
			[{ durationSeconds: 60 }, /Session Duration/],
			[{ stsEndpoint: 'not a url' }, /STS Endpoint.*is not an http\(s\) URL/],
		];
		for (const [override, message] of cases) {
			const result = await runLambda(aws, { parameters: assumeRoleParameters(), credentials: roleCredential(override) });
			expect(result.error?.message).toMatch(message);
		}
		expect(aws.log).toHaveLength(0);
	});
});

describe('Credential settings that are refused say what is wrong and how to fix it', () => {
	const source = { node: { ...TEST_NODE, parameters: {} }, itemIndex: 4 };
	const role = (extra: Record<string, unknown>) => readRoleSettings(source, { roleArn: DEFAULT_ROLE_ARN, ...extra });
	const refusal = (read: () => unknown) => {
		try {
			read();
		} catch (error) {
			return [(error as Error).message, (error as { description?: string }).description];
		}
		return 'accepted';
	};

	it.each([
		[{ roleArn: 'arn:aws:iam::123:user/x' }, 'Role ARN (item 4): "arn:aws:iam::123:user/x" is not an IAM role ARN', 'Copy the ARN from the role\'s summary page in the IAM console: arn:aws:iam::123456789012:role/NAME.'],
		[{ externalId: 'x' }, 'External ID (item 4): must be 2 to 1,224 characters of letters, digits and +=,.@:/-_', 'Use the External ID from the role\'s trust policy (condition sts:ExternalId).'],
		[{ roleSessionName: 'a b' }, 'Role Session Name (item 4): "a b" is not allowed', 'Use 2 to 64 characters of letters, digits and +=,.@-_.'],
		[{ durationSeconds: 899 }, 'Session Duration (item 4): 899 is out of range', 'AWS accepts 900 to 43,200 seconds, and no more than the role\'s maximum session duration.'],
		[{ durationSeconds: 43201 }, 'Session Duration (item 4): 43201 is out of range', 'AWS accepts 900 to 43,200 seconds, and no more than the role\'s maximum session duration.'],
	])('%j', (extra, message, description) => {
		expect(refusal(() => role(extra))).toEqual([`Credential field ${message}`, description]);
	});

	it('accepts Session Duration at both of AWS\'s bounds', () => {
		expect([role({ durationSeconds: 900 }).durationSeconds, role({ durationSeconds: 43200 }).durationSeconds]).toEqual([900, 43200]);
	});

	it('accepts http and https endpoints, and refuses any other scheme', () => {
		const endpoints = (lambdaEndpoint: string) => () => readEndpoints(source, { customEndpoints: true, lambdaEndpoint });
		expect(endpoints('https://lambda.eu-west-1.amazonaws.com')()).toEqual({ lambdaEndpoint: 'https://lambda.eu-west-1.amazonaws.com' });
		expect(endpoints('http://127.0.0.1:4566')()).toEqual({ lambdaEndpoint: 'http://127.0.0.1:4566' });
		expect(refusal(endpoints('ftp://lambda.example.com'))).toEqual([
			'Credential field Lambda Endpoint (item 4): "ftp://lambda.example.com" is not an http(s) URL',
			'Enter a full URL such as https://lambda.eu-west-1.amazonaws.com, or leave it empty for the AWS default.',
		]);
	});
});

describe('Assume role credential defaults and gaps', () => {
	it('names the session n8n-aws-lambda when Role Session Name is empty', async () => {
		const result = await runLambda(aws, {
			parameters: assumeRoleParameters(),
			credentials: roleCredential({ roleSessionName: ' ', durationSeconds: 2400 }),
		});
		expect(result.error).toBeUndefined();
		expect(assumeRoleCalls()[0]).toMatchObject({ roleSessionName: 'n8n-aws-lambda', durationSeconds: 2400 });
	});

	it('asks for an Assume Role credential when none is selected, even with dynamic keys', async () => {
		const result = await runLambda(aws, {
			parameters: assumeRoleParameters({
				dynamicCredentials: { accessKeyId: SECOND_KEY.accessKeyId, secretAccessKey: '={{ $json.secret }}' },
			}),
			items: [{ secret: SECOND_KEY.secretAccessKey }],
			credentials: {},
		});
		expect(result.error?.message).toBe('Credential (item 0): no AWS Lambda (Assume Role) API credential is selected');
		expect(result.error?.description).toBe(
			'Select or create an AWS Lambda (Assume Role) API credential: it holds the role to assume.',
		);
		expect(aws.log).toHaveLength(0);
	});
});

describe('Credential Test button', () => {
	const node = new AwsLambda();
	const test = (type: string, data: Record<string, unknown>) =>
		node.methods.credentialTest.awsLambdaCredentialTest.call(credentialTestContext(), {
			id: '1',
			name: 'test',
			type,
			data,
		} as ICredentialsDecrypted);

	it('succeeds for an access key and names the identity', async () => {
		const result = await test('awsLambdaAccessKeyApi', accessKeyCredential(aws));
		expect(result).toEqual({ status: 'OK', message: 'Authenticated as arn:aws:iam::123456789012:user/n8n-local' });
		expect(aws.log.map((entry) => entry.action)).toEqual(['GetCallerIdentity']);
	});

	it('succeeds for a role: assumes it, then identifies the session', async () => {
		const result = await test('awsLambdaAssumeRoleApi', assumeRoleCredential(aws, { roleSessionName: 'button' }));
		expect(result.status).toBe('OK');
		expect(result.message).toMatch(/assumed-role\/n8n-lambda-invoker\/button/);
		expect(aws.log.map((entry) => entry.action)).toEqual(['AssumeRole', 'GetCallerIdentity']);
	});

	it('says precisely what is wrong', async () => {
		const wrongSecret = await test(
			'awsLambdaAccessKeyApi',
			accessKeyCredential(aws, { ...DEFAULT_KEY, secretAccessKey: 'nope-DO-NOT-LEAK' }),
		);
		expect(wrongSecret.status).toBe('Error');
		expect(wrongSecret.message).toMatch(/secret access key is wrong/);
		expect(wrongSecret.message).not.toContain('nope-DO-NOT-LEAK');

		const unknown = await test(
			'awsLambdaAccessKeyApi',
			accessKeyCredential(aws, { accessKeyId: 'AKIALOCALTESTNOBODY0', secretAccessKey: 'x-secret-DO-NOT-LEAK' }),
		);
		expect(unknown.message).toMatch(/does not recognise the access key ID/);

		const wrongExternalId = await test(
			'awsLambdaAssumeRoleApi',
			assumeRoleCredential(aws, { externalId: 'not-the-one', roleSessionName: 'button-wrong' }),
		);
		expect(wrongExternalId.message).toMatch(/not allowed to assume .*n8n-lambda-invoker/);
		expect(wrongExternalId.message).toMatch(/External ID/);

		const unreachable = await test(
			'awsLambdaAccessKeyApi',
			accessKeyCredential(aws, DEFAULT_KEY, { stsEndpoint: 'http://127.0.0.1:9' }),
		);
		expect(unreachable.message).toMatch(/could not reach the AWS endpoint: the connection was refused/);

		const badArn = await test('awsLambdaAssumeRoleApi', assumeRoleCredential(aws, { roleArn: 'role/nope' }));
		expect(badArn.message).toMatch(/Role ARN/);
	});
});
