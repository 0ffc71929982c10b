import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INode, IWorkflowBase } from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';

import { AwsLambda } from '../nodes/AwsLambda/AwsLambda.node';
import type { LocalAws } from './support/aws-endpoint';
import { LAMBDA_NODE_TYPE } from './support/examples';
import { credentialsFor, runLambda, useLocalAws } from './support/lambda-node';

let aws: LocalAws;
useLocalAws({ functionCount: 3 }, (server) => {
	aws = server;
});

/** Workflows as version 0.1.0 saved them: before the Resource parameter existed. */
function savedLambdaNode(file: string): INode {
	const path = join(__dirname, 'fixtures', 'saved-by-0.1.0', file);
	const workflow = JSON.parse(readFileSync(path, 'utf8')) as IWorkflowBase;
	const node = workflow.nodes.find((candidate) => candidate.type === LAMBDA_NODE_TYPE);
	if (!node) throw new Error(`${file}: no ${LAMBDA_NODE_TYPE} node`);
	return node;
}

function credentialTypeOf(node: INode): string {
	return Object.keys(node.credentials ?? {})[0];
}

describe('Workflows saved before the Resource parameter', () => {
	it.each(['invoke-with-input-item.json', 'list-all-functions.json'])('%s resolves Resource to Function', (file) => {
		const node = savedLambdaNode(file);
		expect(node.parameters).not.toHaveProperty('resource');
		const { description } = new AwsLambda();
		const resolved = NodeHelpers.getNodeParameters(description.properties, node.parameters, true, false, node, description);
		expect(resolved).toMatchObject({ resource: 'function', operation: node.parameters.operation });
	});

	it('runs a saved Invoke unchanged', async () => {
		const node = savedLambdaNode('invoke-with-input-item.json');
		const items = [{ orderId: 'A-1' }, { orderId: 'A-2' }];
		const result = await runLambda(aws, {
			parameters: node.parameters,
			items,
			credentials: credentialsFor(aws, credentialTypeOf(node)),
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => (item.json.payload as { event: { orderId: string } }).event.orderId)).toEqual(['A-1', 'A-2']);
		expect(aws.log.filter((entry) => entry.action === 'Invoke')).toHaveLength(2);
	});

	it('runs a saved List Functions unchanged', async () => {
		const node = savedLambdaNode('list-all-functions.json');
		const result = await runLambda(aws, {
			parameters: node.parameters,
			items: [{ region: 'us-east-1' }],
			credentials: credentialsFor(aws, credentialTypeOf(node)),
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.FunctionName)).toEqual(expect.arrayContaining(['echo', 'fn-00002']));
	});
});
