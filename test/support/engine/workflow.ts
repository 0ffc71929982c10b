/**
 * The pieces of an in-process n8n execution: the node type registry, the start node, the two-node
 * workflow, the additional data (credentials helper, lifecycle hooks, URLs) and n8n's instance
 * folder.
 */
import { mkdirSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecutionLifecycleHooks } from 'n8n-core';
import type {
	ICredentialType,
	IDataObject,
	IExecuteFunctions,
	INode,
	INodeCredentials,
	INodeExecutionData,
	INodeParameters,
	INodeType,
	INodeTypeDescription,
	INodeTypes,
	IVersionedNodeType,
	IWorkflowBase,
	IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';
import { NodeHelpers, Workflow } from 'n8n-workflow';

import type { CredentialStore } from './credentials';
import { TestCredentialsHelper } from './credentials';

export interface NodeUnderTest {
	type: INodeType | IVersionedNodeType;
	typeName?: string;
	typeVersion?: number;
}

export type OnError = NonNullable<INode['onError']>;

export const START_NODE_NAME = 'Start';
export const NODE_UNDER_TEST_NAME = 'Node under test';
export const DEFAULT_TYPE_NAME = 'n8n-nodes-aws-lambda.awsLambda';
const START_TYPE_NAME = 'harness.start';

/**
 * n8n keeps an instance settings file (encryption key) in `$N8N_USER_FOLDER/.n8n/config` and
 * creates it on first use. Unless the caller chose a folder, tests use one under the system temp
 * directory rather than the developer's ~/.n8n; the file is written whole and renamed into place so
 * parallel jest workers never read a half-written one.
 */
export function useTestInstanceFolder(): void {
	if (process.env.N8N_USER_FOLDER) return;
	const userFolder = join(tmpdir(), `n8n-nodes-aws-lambda-engine-${process.getuid?.() ?? 'user'}`);
	const n8nFolder = join(userFolder, '.n8n');
	const settingsFile = join(n8nFolder, 'config');
	if (!existsSync(settingsFile)) {
		mkdirSync(n8nFolder, { recursive: true, mode: 0o700 });
		const partial = `${settingsFile}.${process.pid}.tmp`;
		writeFileSync(partial, JSON.stringify({ encryptionKey: randomBytes(24).toString('base64') }), { mode: 0o600 });
		renameSync(partial, settingsFile);
	}
	process.env.N8N_USER_FOLDER = userFolder;
}

/** Emits the items it is given, so a test decides exactly what the node under test receives. */
class StartNode implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Start',
		name: 'start',
		group: ['input'],
		version: 1,
		description: 'Emits the test items',
		defaults: { name: START_NODE_NAME },
		inputs: [],
		outputs: ['main'],
		properties: [],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [this.getInputData()];
	}
}

const startNodeType = new StartNode();

class NodeTypeMap implements INodeTypes {
	constructor(private readonly types: ReadonlyMap<string, INodeType | IVersionedNodeType>) {}

	getByName(nodeType: string): INodeType | IVersionedNodeType {
		return this.known(nodeType);
	}

	getByNameAndVersion(nodeType: string, version?: number): INodeType {
		return NodeHelpers.getVersionedNodeType(this.known(nodeType), version);
	}

	getKnownTypes() {
		return {};
	}

	private known(nodeType: string): INodeType | IVersionedNodeType {
		const type = this.types.get(nodeType);
		if (!type) throw new Error(`Node type "${nodeType}" is not registered in the engine harness`);
		return type;
	}
}

export const typeNameOf = (node: NodeUnderTest): string => node.typeName ?? DEFAULT_TYPE_NAME;

/** The version the editor gives a newly added node: the description's default, else the latest. */
export function defaultVersionOf(type: INodeType | IVersionedNodeType): number {
	if ('nodeVersions' in type) return type.description.defaultVersion ?? type.currentVersion;
	const { defaultVersion, version } = type.description;
	return defaultVersion ?? (Array.isArray(version) ? Math.max(...version) : version);
}

export interface WorkflowOptions {
	node: NodeUnderTest;
	parameters: INodeParameters;
	credentials: CredentialStore;
	onError?: OnError;
}

export function buildWorkflow(options: WorkflowOptions) {
	const typeName = typeNameOf(options.node);
	const nodeTypes = new NodeTypeMap(
		new Map<string, INodeType | IVersionedNodeType>([
			[START_TYPE_NAME, startNodeType],
			[typeName, options.node.type],
		]),
	);
	const credentials: INodeCredentials = {};
	for (const credentialType of Object.keys(options.credentials)) {
		credentials[credentialType] = { id: `${credentialType}-test-id`, name: `${credentialType} (test)` };
	}
	const start: INode = { id: 'harness-start', name: START_NODE_NAME, type: START_TYPE_NAME, typeVersion: 1, position: [0, 0], parameters: {} };
	const underTest: INode = {
		id: 'harness-node-under-test',
		name: NODE_UNDER_TEST_NAME,
		type: typeName,
		typeVersion: options.node.typeVersion ?? defaultVersionOf(options.node.type),
		position: [240, 0],
		// The Workflow constructor replaces this with the parameters plus defaults, as n8n does.
		parameters: options.parameters,
		credentials,
		...(options.onError ? { onError: options.onError } : {}),
	};
	const workflowData: IWorkflowBase = {
		id: 'harness-workflow',
		name: 'Engine harness',
		active: false,
		isArchived: false,
		activeVersionId: null,
		createdAt: new Date(),
		updatedAt: new Date(),
		nodes: [start, underTest],
		connections: { [START_NODE_NAME]: { main: [[{ node: NODE_UNDER_TEST_NAME, type: 'main', index: 0 }]] } },
		settings: { executionOrder: 'v1' },
	};
	const workflow = new Workflow({
		id: workflowData.id,
		name: workflowData.name,
		nodes: workflowData.nodes,
		connections: workflowData.connections,
		active: false,
		nodeTypes,
		settings: workflowData.settings,
	});
	return { workflow, workflowData, start: workflow.getNode(START_NODE_NAME) ?? start, underTest: workflow.getNode(NODE_UNDER_TEST_NAME) ?? underTest };
}

let executionCount = 0;
export const nextExecutionId = (): string => `harness-${++executionCount}`;

export function buildAdditionalData(options: {
	executionId: string;
	credentials: CredentialStore;
	credentialTypes?: ICredentialType[];
	hooks?: ExecutionLifecycleHooks;
}): IWorkflowExecuteAdditionalData {
	const types = new Map((options.credentialTypes ?? []).map((type) => [type.name, type]));
	const unsupported = (what: string) => async () => {
		throw new Error(`${what} is not part of the engine harness`);
	};
	const data: Partial<IWorkflowExecuteAdditionalData> = {
		credentialsHelper: new TestCredentialsHelper(options.credentials, types),
		hooks: options.hooks,
		executionId: options.executionId,
		currentNodeExecutionIndex: 0,
		restApiUrl: 'http://127.0.0.1:5678/rest',
		instanceBaseUrl: 'http://127.0.0.1:5678/',
		formWaitingBaseUrl: 'http://127.0.0.1:5678/form-waiting',
		webhookBaseUrl: 'http://127.0.0.1:5678/webhook',
		webhookWaitingBaseUrl: 'http://127.0.0.1:5678/webhook-waiting',
		webhookTestBaseUrl: 'http://127.0.0.1:5678/webhook-test',
		variables: {},
		executeWorkflow: unsupported('Executing a sub-workflow'),
		getRunExecutionData: async () => undefined,
		logAiEvent: () => {},
		startRunnerTask: unsupported('A task runner'),
	};
	return data as IWorkflowExecuteAdditionalData;
}

export function lifecycleHooks(executionId: string, workflowData: IWorkflowBase): ExecutionLifecycleHooks {
	return new ExecutionLifecycleHooks('manual', executionId, workflowData);
}

const EXECUTION_DATA_KEYS = new Set(['json', 'binary', 'error', 'pairedItem', 'metadata', 'evaluationData', 'redaction', 'sendMessage', 'index']);

/** An object whose keys are all INodeExecutionData keys and whose `json` is an object counts as an item already. */
function isExecutionData(item: IDataObject | INodeExecutionData): item is INodeExecutionData {
	const { json } = item;
	return (
		typeof json === 'object' && json !== null && !Array.isArray(json) && Object.keys(item).every((key) => EXECUTION_DATA_KEYS.has(key))
	);
}

/**
 * Wraps plain objects as `{ json }` and nothing more: n8n's engine itself gives every node shallow
 * copies of its input items (with pairedItem set), so the caller's objects stay untouched.
 */
export function toItems(items: Array<IDataObject | INodeExecutionData> | undefined): INodeExecutionData[] {
	return (items ?? [{}]).map((item) => (isExecutionData(item) ? item : { json: item }));
}
