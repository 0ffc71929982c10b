import type { LocalAws } from './support/aws-endpoint';
import { loadExamples } from './support/examples';
import { credentialsFor, runLambda, useLocalAws } from './support/lambda-node';

let aws: LocalAws;
useLocalAws({ functionCount: 120 }, (server) => {
	aws = server;
});

const examples = loadExamples();

describe('Example workflows in examples/', () => {
	it('ships the documented examples', () => {
		expect(examples.map((example) => example.file)).toEqual([
			'assume-role-external-id.json',
			'durable-human-approval.json',
			'durable-start-and-wait.json',
			'fan-out.json',
			'invoke-with-input-item.json',
			'list-all-functions.json',
		]);
	});

	it.each(examples.map((example) => [example.file, example]))('%s runs against the local endpoint', async (_file, example) => {
		const credentials = credentialsFor(aws, example.credentialType);
		const result = await runLambda(aws, { parameters: example.parameters, items: example.inputItems, credentials });
		expect(result.error).toBeUndefined();
		expect(result.items.length).toBeGreaterThanOrEqual(example.inputItems.length);
		expect(result.items.every((item) => !('error' in item.json))).toBe(true);
		if (example.parameters.operation === 'invoke') {
			expect(result.items).toHaveLength(example.inputItems.length);
			expect(aws.log.filter((entry) => entry.action === 'Invoke')).toHaveLength(example.inputItems.length);
		}
		if (example.credentialType === 'awsLambdaAssumeRoleApi') {
			expect(aws.log.filter((entry) => entry.action === 'AssumeRole')).toHaveLength(1);
		}
	});
});
