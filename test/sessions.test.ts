import type { LocalAws } from './support/aws-endpoint';
import { DEFAULT_KEY } from './support/aws-endpoint';
import { assumeRoleCredential, invokeParameters, runLambda, useLocalAws } from './support/lambda-node';
import { setStsTimeouts } from '../nodes/AwsLambda/transport/sts';

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

async function waitFor(condition: () => boolean): Promise<void> {
	while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}
