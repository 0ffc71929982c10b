import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';

import { resolveAccess } from '../nodes/AwsLambda/transport/credentials';
import { setStsTimeouts } from '../nodes/AwsLambda/transport/sts';
import type { LocalAws } from './support/aws-endpoint';
import { DEFAULT_KEY } from './support/aws-endpoint';
import { assumeRoleCredential, everythingVisible, invokeParameters, runLambda, useLocalAws } from './support/lambda-node';

let aws: LocalAws;
useLocalAws({ keys: [DEFAULT_KEY] }, (server) => {
	aws = server;
});
afterEach(() => setStsTimeouts(undefined));

const assumeRoleCalls = () => aws.log.filter((entry) => entry.action === 'AssumeRole');
const invokes = () => aws.log.filter((entry) => entry.action === 'Invoke');
/** Each test its own session name: a session (or a hung AssumeRole) of one test never serves another. */
const roleCredential = (roleSessionName: string) => ({
	awsLambdaAssumeRoleApi: assumeRoleCredential(aws, { roleSessionName }),
});
const roleInvoke = (functionName = 'echo', extra = {}) =>
	invokeParameters(functionName, { authentication: 'assumeRole', ...extra });
const hangSts = () => aws.faults.hang(1, { match: { service: 'sts' } });

describe('AssumeRole is bounded', () => {
	it('fails the item within the STS deadline, naming STS and the endpoint', async () => {
		setStsTimeouts({ deadlineMs: 300 });
		hangSts();
		const result = await runLambda(aws, { parameters: roleInvoke(), credentials: roleCredential('hung-sts') });
		expect(result.error?.message).toMatch(/^Assume role failed \(item 0\): STS at http:\/\/127\.0\.0\.1:\d+ did not answer within 0\.3 seconds/);
		expect(result.error?.description).toMatch(/^Check the STS Endpoint in the credential and the network path from n8n to it\./);
		expect(invokes()).toHaveLength(0);
	});

	it('retries AssumeRole in the next execution once STS answers again', async () => {
		setStsTimeouts({ deadlineMs: 300 });
		hangSts();
		const credentials = roleCredential('hung-then-healthy');
		const first = await runLambda(aws, { parameters: roleInvoke(), credentials });
		expect(first.error).toBeDefined();
		const second = await runLambda(aws, { parameters: roleInvoke(), credentials });
		expect(second.error).toBeUndefined();
		expect(assumeRoleCalls().map((entry) => entry.status)).toEqual([0, 200]);
	});

	it('stops waiting for a hung STS when the execution is cancelled', async () => {
		setStsTimeouts({ deadlineMs: 10 * 60_000 });
		hangSts();
		const controller = new AbortController();
		const running = runLambda(aws, {
			parameters: roleInvoke(),
			credentials: roleCredential('cancelled-while-hung'),
			signal: controller.signal,
		});
		await waitFor(() => assumeRoleCalls().length === 1);
		controller.abort();
		const result = await running;
		expect(result.status).toBe('canceled');
		expect(invokes()).toHaveLength(0);
	});
});

describe('Session cache', () => {
	it('renews a session that expires while ten calls are in flight exactly once', async () => {
		aws.faults.expireSessionsAfter(6);
		const result = await runLambda(aws, {
			parameters: roleInvoke('slow', { payload: '{"ms": 300}', options: { concurrency: 10 } }),
			items: Array.from({ length: 20 }, (_, i) => ({ i })),
			credentials: roleCredential('expires-in-flight'),
		});
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(20);
		expect(invokes().filter((entry) => entry.errorType === 'ExpiredTokenException').length).toBeGreaterThan(1);
		expect(assumeRoleCalls()).toHaveLength(2);
		// A call that failed late must not have discarded the renewed session: the next execution reuses it.
		const next = await runLambda(aws, { parameters: roleInvoke(), credentials: roleCredential('expires-in-flight') });
		expect(next.error).toBeUndefined();
		expect(assumeRoleCalls()).toHaveLength(2);
	});

	it.each(['AccessDeniedException', 'AccessDenied', 'UnrecognizedClientException', 'InvalidClientTokenId'])(
		'evicts a session AWS refuses with %s, so the next execution assumes the role again',
		async (errorType) => {
			const credentials = roleCredential(`denied-session-${errorType}`);
			await runLambda(aws, { parameters: roleInvoke(), credentials });
			aws.faults.serverError(1, { status: 403, errorType });
			const denied = await runLambda(aws, { parameters: roleInvoke(), credentials });
			expect(denied.error?.message).toMatch(/^Invoke echo failed \(item 0\): /);
			const next = await runLambda(aws, { parameters: roleInvoke(), credentials });
			expect(next.error).toBeUndefined();
			expect(assumeRoleCalls()).toHaveLength(2);
		},
	);

	it('renews a session refused as ExpiredToken (STS\'s spelling) and repeats the call', async () => {
		const credentials = roleCredential('expired-sts-spelling');
		await runLambda(aws, { parameters: roleInvoke(), credentials });
		aws.faults.serverError(1, { status: 403, errorType: 'ExpiredToken' });
		const renewed = await runLambda(aws, { parameters: roleInvoke(), credentials });
		expect(renewed.error).toBeUndefined();
		expect(assumeRoleCalls()).toHaveLength(2);
	});

	it('keeps apart sessions that differ only in External ID or STS endpoint', async () => {
		const credentials = roleCredential('kept-apart');
		await runLambda(aws, { parameters: roleInvoke(), credentials });
		const wrongId = await runLambda(aws, {
			parameters: roleInvoke(),
			credentials: { awsLambdaAssumeRoleApi: assumeRoleCredential(aws, { roleSessionName: 'kept-apart', externalId: 'not-the-external-id' }) },
		});
		expect(wrongId.error?.message).toMatch(/^Assume role failed \(item 0\): not allowed to assume/);
		// Another loopback address where nothing listens: a session from the first STS must not be reused.
		const otherSts = await runLambda(aws, {
			parameters: roleInvoke(),
			credentials: { awsLambdaAssumeRoleApi: assumeRoleCredential(aws, { roleSessionName: 'kept-apart', stsEndpoint: aws.url.replace('127.0.0.1', '127.0.0.2') }) },
		});
		expect(otherSts.error?.message).toMatch(/^Assume role failed \(item 0\): could not reach the AWS endpoint/);
		expect(assumeRoleCalls()).toHaveLength(2);
	});

	it('holds at most 1,000 sessions: the least recently used one is assumed again', async () => {
		await cachedSession('lru-first');
		for (let batch = 0; batch < 1000; batch += 50) {
			await Promise.all(Array.from({ length: 50 }, async (_, i) => await cachedSession(`lru-${batch + i}`)));
		}
		expect(assumeRoleCalls()).toHaveLength(1001);
		await cachedSession('lru-999');
		expect(assumeRoleCalls()).toHaveLength(1001);
		await cachedSession('lru-first');
		expect(assumeRoleCalls()).toHaveLength(1002);
	});
});

describe('Temporary keys are secrets', () => {
	it.each([false, true])(
		'an AWS error quoting the session token shows neither token nor temporary secret (Continue On Fail: %s)',
		async (continueOnFail) => {
			aws.faults.invalidSignature(1);
			const result = await runLambda(aws, {
				parameters: roleInvoke(),
				credentials: roleCredential(`quoted-token-${continueOnFail}`),
				continueOnFail,
			});
			const session = await cachedSession(`quoted-token-${continueOnFail}`);
			const visible = everythingVisible(result);
			expect(visible).toMatch(/x-amz-security-token:\[redacted\]/);
			expect(visible).not.toContain(session.sessionToken);
			expect(visible).not.toContain(session.secretAccessKey);
			expect(invokes()[0].accessKeyId).toBe(session.accessKeyId);
		},
	);
});

/** The session the node's items would sign with (assumed now if none is cached). */
async function cachedSession(roleSessionName: string) {
	const access = resolveAccess({
		node: { id: 'n', name: 'AWS Lambda', type: 'awsLambda', typeVersion: 1, position: [0, 0], parameters: {} },
		itemIndex: 0,
		authentication: 'assumeRole',
		dynamic: {},
		credential: assumeRoleCredential(aws, { roleSessionName }),
		region: 'us-east-1',
	});
	return await (access.credentials as AwsCredentialIdentityProvider)();
}

async function waitFor(condition: () => boolean): Promise<void> {
	while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}
