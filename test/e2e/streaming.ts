/**
 * Stream Response in real n8n with `N8N_DEFAULT_BINARY_DATA_MODE=filesystem`: a function streams
 * 50 MiB, the node writes it into n8n's binary data as a file, and n8n's own Crypto node hashes that
 * file; the hash must be the one of the bytes the function sent.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IDataObject, IWorkflowBase } from 'n8n-workflow';

import type { LocalAws } from '../support/aws-endpoint';
import { streamedBytes } from '../support/aws-endpoint/functions/stream-large';
import { LAMBDA_NODE_TYPE } from '../support/examples';
import { accessKeyCredential } from '../support/lambda-node';
import type { N8nLine, RecordCheck } from './n8n';
import { parseRawOutput, runN8n, tail } from './n8n';

const STREAMED_BYTES = 50 * 1024 * 1024;
const CREDENTIAL = { id: 'awsLambdaStreamKey1', name: 'AWS Lambda (Access Key) for streaming', type: 'awsLambdaAccessKeyApi' };
const WORKFLOW_ID = 'e2eStreamBinary';
const LAMBDA_NODE = 'Stream 50 MiB';
const HASH_NODE = 'Hash the file';

export async function runStreamingChecks(line: N8nLine, userFolder: string, aws: LocalAws, record: RecordCheck): Promise<void> {
	let started = performance.now();
	const imported = await importCredentialAndWorkflow(line, userFolder, aws);
	record('streaming: import a credential and the Stream Response workflow', imported, started);
	if (imported) return;
	started = performance.now();
	record(`streaming: ${STREAMED_BYTES / 2 ** 20} MiB streamed into filesystem binary data, hash matches`, await executeAndCompare(line, userFolder, aws), started);
}

async function importCredentialAndWorkflow(line: N8nLine, userFolder: string, aws: LocalAws): Promise<string | undefined> {
	const credentialsFile = join(userFolder, 'stream-credential.json');
	writeFileSync(credentialsFile, JSON.stringify([{ ...CREDENTIAL, data: accessKeyCredential(aws) }]));
	const credential = await runN8n(line, userFolder, ['import:credentials', `--input=${credentialsFile}`]);
	if (credential.status !== 0) return tail(credential);
	const workflowFile = join(userFolder, 'stream-workflow.json');
	writeFileSync(workflowFile, JSON.stringify([streamingWorkflow()]));
	const workflow = await runN8n(line, userFolder, ['import:workflow', `--input=${workflowFile}`]);
	return workflow.status === 0 ? undefined : tail(workflow);
}

/** What `n8n import:workflow` reads; n8n fills in the rest. */
type ImportedWorkflow = Pick<IWorkflowBase, 'id' | 'name' | 'active' | 'settings' | 'nodes' | 'connections'>;

function streamingWorkflow(): ImportedWorkflow {
	const trigger = 'When clicking ‘Execute workflow’';
	return {
		id: WORKFLOW_ID,
		name: 'Stream a large response into binary data',
		active: false,
		settings: {},
		nodes: [
			{ id: 'b0000000-0000-4000-8000-000000000001', name: trigger, type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			{
				id: 'b0000000-0000-4000-8000-000000000002',
				name: LAMBDA_NODE,
				type: LAMBDA_NODE_TYPE,
				typeVersion: 1,
				position: [220, 0],
				parameters: {
					operation: 'invoke',
					region: 'us-east-1',
					functionName: { __rl: true, mode: 'name', value: 'stream-large' },
					invocationType: 'RequestResponse',
					payload: JSON.stringify({ bytes: STREAMED_BYTES }),
					options: { responseStreaming: true, responseFormat: 'binary' },
				},
				credentials: { awsLambdaAccessKeyApi: { id: CREDENTIAL.id, name: CREDENTIAL.name } },
			},
			{
				id: 'b0000000-0000-4000-8000-000000000003',
				name: HASH_NODE,
				type: 'n8n-nodes-base.crypto',
				typeVersion: 1,
				position: [440, 0],
				parameters: { action: 'hash', type: 'SHA256', binaryData: true, binaryPropertyName: 'data', dataPropertyName: 'sha256', encoding: 'hex' },
			},
		],
		connections: {
			[trigger]: { main: [[{ node: LAMBDA_NODE, type: 'main', index: 0 }]] },
			[LAMBDA_NODE]: { main: [[{ node: HASH_NODE, type: 'main', index: 0 }]] },
		},
	};
}

async function executeAndCompare(line: N8nLine, userFolder: string, aws: LocalAws): Promise<string | undefined> {
	aws.clearLog();
	const result = await runN8n(line, userFolder, ['execute', `--id=${WORKFLOW_ID}`, '--rawOutput'], {
		N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem',
		N8N_BINARY_DATA_STORAGE_PATH: join(userFolder, 'binary-data'),
	});
	const output = parseRawOutput(result.stdout);
	const [streamed] = nodeItems(output, LAMBDA_NODE);
	const [hashed] = nodeItems(output, HASH_NODE);
	const binary = streamed?.binary?.data as IDataObject | undefined;
	const expected = createHash('sha256');
	for (const chunk of streamedBytes(STREAMED_BYTES)) expected.update(chunk);
	const problems = [
		result.status === 0 ? undefined : `exit ${result.status}`,
		typeof binary?.id === 'string' && binary.id.startsWith('filesystem') ? undefined : `the binary is not a file in filesystem mode: ${JSON.stringify(binary).slice(0, 200)}`,
		hashed?.json.sha256 === expected.digest('hex') ? undefined : `n8n hashed the file as ${String(hashed?.json.sha256)}, not as the bytes the function sent`,
		aws.log.filter((entry) => entry.action === 'InvokeWithResponseStream').length === 1 ? undefined : 'expected exactly one InvokeWithResponseStream call',
	].filter((problem): problem is string => problem !== undefined);
	return problems.length === 0 ? undefined : `${problems.join('; ')}\n${tail(result)}`;
}

interface OutputItem {
	json: IDataObject;
	binary?: Record<string, IDataObject>;
}

function nodeItems(output: IDataObject | undefined, nodeName: string): OutputItem[] {
	const runData = (output?.data as IDataObject | undefined)?.resultData as IDataObject | undefined;
	const tasks = (runData?.runData as Record<string, Array<{ data?: { main?: OutputItem[][] } }>> | undefined)?.[nodeName];
	return tasks?.[0]?.data?.main?.[0] ?? [];
}
