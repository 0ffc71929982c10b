import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runInNewContext } from 'node:vm';
import type { IDataObject, INode, INodeParameters, IWorkflowBase } from 'n8n-workflow';

export const LAMBDA_NODE_TYPE = 'n8n-nodes-aws-lambda.awsLambda';

export interface Example {
	file: string;
	workflow: IWorkflowBase;
	lambdaNode: INode;
	parameters: INodeParameters;
	credentialType: string;
	/** The items the upstream Code node produces: its JavaScript, run in a VM context. */
	inputItems: IDataObject[];
}

/** The repository root, found from here whether this runs from test/ (jest) or .build/ (demo, bench). */
export function repoRoot(): string {
	let dir = __dirname;
	while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'examples'))) {
		const parent = dirname(dir);
		if (parent === dir) throw new Error('repository root not found');
		dir = parent;
	}
	return dir;
}

export function loadExamples(): Example[] {
	const dir = join(repoRoot(), 'examples');
	return readdirSync(dir)
		.filter((file) => file.endsWith('.json'))
		.sort()
		.map((file) => toExample(file, JSON.parse(readFileSync(join(dir, file), 'utf8')) as IWorkflowBase));
}

function toExample(file: string, workflow: IWorkflowBase): Example {
	const lambdaNode = workflow.nodes.find((node) => node.type === LAMBDA_NODE_TYPE);
	if (!lambdaNode) throw new Error(`${file}: no ${LAMBDA_NODE_TYPE} node`);
	const upstream = Object.entries(workflow.connections).find(([, outputs]) =>
		outputs.main?.some((targets) => targets?.some((target) => target.node === lambdaNode.name)),
	)?.[0];
	const codeNode = workflow.nodes.find((node) => node.name === upstream && node.type === 'n8n-nodes-base.code');
	if (!codeNode) throw new Error(`${file}: the Lambda node must follow a Code node`);
	const produced = runInNewContext(`(() => {\n${String(codeNode.parameters.jsCode)}\n})()`, {}) as Array<{ json: IDataObject }>;
	return {
		file,
		workflow,
		lambdaNode,
		parameters: lambdaNode.parameters,
		credentialType: Object.keys(lambdaNode.credentials ?? {})[0],
		inputItems: produced.map((item) => item.json),
	};
}
