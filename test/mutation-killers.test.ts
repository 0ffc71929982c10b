/**
 * Behaviour that mutation testing (docs/mutation.md) found unguarded: the router's answers to a
 * resource or operation it does not know and to an execution stopped while items were in flight.
 */
import type { LocalAws } from './support/aws-endpoint';
import { invokeParameters, runLambda, useLocalAws } from './support/lambda-node';

let aws: LocalAws;
useLocalAws({}, (server) => {
	aws = server;
});

const invokes = () => aws.log.filter((entry) => entry.action === 'Invoke');

/** A hung request is logged when it arrives, so the log tells when `count` calls are in flight. */
async function untilHung(count: number): Promise<void> {
	while (invokes().length < count) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('router', () => {
	it('names an operation it does not know instead of failing on it', async () => {
		const result = await runLambda(aws, { parameters: invokeParameters('echo', { operation: 'deleteFunction' }) });
		expect(result.error?.message).toBe('The operation "deleteFunction" is not supported');
		expect(invokes()).toHaveLength(0);
	});

	it('names a resource it does not know (a workflow saved by a newer version)', async () => {
		const result = await runLambda(aws, { parameters: invokeParameters('echo', { resource: 'layer' }) });
		expect(result.error?.message).toBe('The resource "layer" is not supported');
		expect(invokes()).toHaveLength(0);
	});

	it('fails a stopped execution under Continue On Fail instead of returning the items that ran as its result', async () => {
		const itemCount = 20;
		aws.faults.hang(itemCount);
		const controller = new AbortController();
		const run = runLambda(aws, {
			parameters: invokeParameters('echo', { options: { concurrency: 2 } }),
			items: Array.from({ length: itemCount }, (_, index) => ({ index })),
			continueOnFail: true,
			signal: controller.signal,
		});
		await untilHung(2);
		controller.abort();
		const result = await run;
		expect(result.error?.message).toBe('The execution was stopped before every item ran');
		expect(invokes()).toHaveLength(2);
	});
});
