/**
 * Runs a node inside n8n's real execution engine, in-process: n8n-core's WorkflowExecute processes a
 * two-node workflow (a start node that emits the given items, then the node under test), with real
 * parameter and expression resolution, Continue On Fail, pairedItem, credentials lookup and logging.
 * The same idea as n8n's own (unpublished) NodeTestHarness, without its mocks.
 */
import { Logger as N8nLogger } from '@n8n/backend-common';
import { Container } from '@n8n/di';
import type {
	ICredentialDataDecryptedObject,
	ICredentials,
	ICredentialTestFunctions,
	ICredentialType,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	INode,
	INodeCredentials,
	INodeExecutionData,
	INodeParameters,
	INodeType,
	INodeTypes,
	IRun,
	IRunExecutionData,
	IVersionedNodeType,
	IWorkflowExecuteAdditionalData,
	Logger,
} from 'n8n-workflow';
import { ICredentialsHelper, LoggerProxy, NodeHelpers, Workflow } from 'n8n-workflow';
import { CredentialTestContext, ExecutionLifecycleHooks, LoadOptionsContext, WorkflowExecute } from 'n8n-core';
import { SSHClientsManager } from 'n8n-core/dist/execution-engine/ssh-clients-manager';

export interface NodeUnderTest {
	type: INodeType | IVersionedNodeType;
	typeName?: string;
	typeVersion?: number;
}

/** Decrypted credential data keyed by credential type name. */
export interface CredentialStore {
	[credentialType: string]: ICredentialDataDecryptedObject;
}

export interface RunOptions {
	node: NodeUnderTest;
	parameters: INodeParameters;
	items?: Array<IDataObject | INodeExecutionData>;
	credentials?: CredentialStore;
	credentialTypes?: ICredentialType[];
	continueOnFail?: boolean;
	signal?: AbortSignal;
}

export interface RunResult {
	items: INodeExecutionData[];
	error?: { message: string; description?: string | null; name: string; node?: string; raw: unknown };
	logs: string[];
	durationMs: number;
}

const START_NODE = 'Start';
const NODE_UNDER_TEST = 'Node under test';
const DEFAULT_TYPE_NAME = 'n8n-nodes-aws-lambda.awsLambda';

/** The start node passes its input items on, so a test decides what the node under test receives. */
class StartNode implements INodeType {
	description = {
		displayName: 'Start',
		name: 'start',
		group: ['input'],
		version: 1,
		description: 'Emits the test items',
		defaults: { name: START_NODE },
		inputs: [],
		outputs: ['main'],
		properties: [],
	} as unknown as INodeType['description'];

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [this.getInputData()];
	}
}

const capturedLogs: string[] = [];

function captureLogger(): Logger {
	const record =
		(level: string) =>
		(message: string, meta?: unknown): void => {
			capturedLogs.push(`${level}: ${message}${meta === undefined ? '' : ` ${safeJson(meta)}`}`);
		};
	return {
		error: record('error'),
		warn: record('warn'),
		info: record('info'),
		debug: record('debug'),
		verbose: record('verbose'),
		scoped: () => captureLogger(),
	} as unknown as Logger;
}

function safeJson(value: unknown): string {
	try {
		return JSON.stringify(value);
	} catch {
		return String(value);
	}
}

// Nodes log through `this.logger` (n8n's DI logger); n8n-workflow code through LoggerProxy.
const capturingLogger = captureLogger();
LoggerProxy.init(capturingLogger);
Container.set(N8nLogger, capturingLogger as unknown as N8nLogger);

class NodeTypeMap implements INodeTypes {
	constructor(private readonly types: Record<string, INodeType | IVersionedNodeType>) {}

	getByName(nodeType: string): INodeType | IVersionedNodeType {
		return this.types[nodeType];
	}

	getByNameAndVersion(nodeType: string, version?: number): INodeType {
		return NodeHelpers.getVersionedNodeType(this.types[nodeType], version);
	}

	getKnownTypes() {
		return {};
	}
}

/** Hands out the test's decrypted credentials; `authenticate` delegates to the credential type. */
class TestCredentialsHelper extends ICredentialsHelper {
	constructor(
		private readonly store: CredentialStore,
		private readonly types: Map<string, ICredentialType>,
	) {
		super();
	}

	getParentTypes(): string[] {
		return [];
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		const authenticate = this.types.get(typeName)?.authenticate;
		return typeof authenticate === 'function' ? await authenticate(credentials, requestOptions) : requestOptions;
	}

	async preAuthentication(): Promise<undefined> {
		return undefined;
	}

	async getCredentials(): Promise<ICredentials> {
		throw new Error('not used by the harness');
	}

	async getDecrypted(
		_additionalData: IWorkflowExecuteAdditionalData,
		_nodeCredentials: unknown,
		type: string,
	): Promise<ICredentialDataDecryptedObject> {
		return { ...(this.store[type] ?? {}) };
	}

	async updateCredentials(): Promise<void> {}

	async updateCredentialsOauthTokenData(): Promise<void> {}

	getCredentialsProperties(type: string) {
		return this.types.get(type)?.properties ?? [];
	}

	isCredentialUsableByNode(): boolean {
		return true;
	}
}

function typeNameOf(node: NodeUnderTest): string {
	return node.typeName ?? DEFAULT_TYPE_NAME;
}

function buildNode(node: NodeUnderTest, parameters: INodeParameters, credentials: CredentialStore, continueOnFail: boolean): INode {
	const type = NodeHelpers.getVersionedNodeType(node.type, node.typeVersion);
	const nodeCredentials: INodeCredentials = {};
	for (const credentialType of Object.keys(credentials)) {
		nodeCredentials[credentialType] = { id: `${credentialType}-id`, name: `${credentialType} (test)` };
	}
	return {
		id: 'node-under-test',
		name: NODE_UNDER_TEST,
		type: typeNameOf(node),
		typeVersion: node.typeVersion ?? (Array.isArray(type.description.version) ? Math.max(...type.description.version) : type.description.version),
		position: [200, 0],
		parameters,
		credentials: nodeCredentials,
		...(continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
	};
}

function buildWorkflow(options: { node: NodeUnderTest; parameters: INodeParameters; credentials: CredentialStore; continueOnFail: boolean }) {
	const nodeTypes = new NodeTypeMap({ 'test.start': new StartNode(), [typeNameOf(options.node)]: options.node.type });
	const start: INode = { id: 'start', name: START_NODE, type: 'test.start', typeVersion: 1, position: [0, 0], parameters: {} };
	const underTest = buildNode(options.node, options.parameters, options.credentials, options.continueOnFail);
	const workflow = new Workflow({
		id: 'harness',
		name: 'harness',
		nodes: [start, underTest],
		connections: { [START_NODE]: { main: [[{ node: NODE_UNDER_TEST, type: 'main', index: 0 }]] } },
		active: false,
		nodeTypes,
		settings: { executionOrder: 'v1' },
	});
	return { workflow, start, underTest };
}

function additionalData(
	credentials: CredentialStore,
	credentialTypes: ICredentialType[] | undefined,
	hooks?: ExecutionLifecycleHooks,
): IWorkflowExecuteAdditionalData {
	const types = new Map((credentialTypes ?? []).map((type) => [type.name, type]));
	return {
		credentialsHelper: new TestCredentialsHelper(credentials, types),
		hooks,
		executionId: 'harness-execution',
		currentNodeExecutionIndex: 0,
		restApiUrl: 'http://127.0.0.1/rest',
		instanceBaseUrl: 'http://127.0.0.1/',
		formWaitingBaseUrl: 'http://127.0.0.1/form-waiting',
		webhookBaseUrl: 'http://127.0.0.1/webhook',
		webhookWaitingBaseUrl: 'http://127.0.0.1/webhook-waiting',
		webhookTestBaseUrl: 'http://127.0.0.1/webhook-test',
		variables: {},
		executeWorkflow: async () => {
			throw new Error('sub-workflows are not part of the harness');
		},
		getRunExecutionData: async () => undefined,
		logAiEvent: () => {},
		startRunnerTask: async () => {
			throw new Error('task runners are not part of the harness');
		},
	} as unknown as IWorkflowExecuteAdditionalData;
}

function toItems(items: RunOptions['items']): INodeExecutionData[] {
	return (items ?? [{}]).map((item) =>
		'json' in item && typeof item.json === 'object' && item.json !== null ? (item as INodeExecutionData) : { json: item as IDataObject },
	);
}

export async function runNode(options: RunOptions): Promise<RunResult> {
	const credentials = options.credentials ?? {};
	const { workflow, start } = buildWorkflow({
		node: options.node,
		parameters: options.parameters,
		credentials,
		continueOnFail: options.continueOnFail ?? false,
	});
	const hooks = new ExecutionLifecycleHooks('manual', 'harness-execution', {
		id: 'harness',
		name: 'harness',
		nodes: workflow.nodes ? Object.values(workflow.nodes) : [],
		connections: workflow.connectionsBySourceNode,
		active: false,
		settings: {},
		createdAt: new Date(),
		updatedAt: new Date(),
		isArchived: false,
		activeVersionId: null,
	} as never);
	const runExecutionData = {
		startData: {},
		resultData: { runData: {} },
		executionData: {
			contextData: {},
			nodeExecutionStack: [{ node: start, data: { main: [toItems(options.items)] }, source: null }],
			metadata: {},
			waitingExecution: {},
			waitingExecutionSource: {},
		},
	} as unknown as IRunExecutionData;
	const logStart = capturedLogs.length;
	const started = performance.now();
	const execute = new WorkflowExecute(additionalData(credentials, options.credentialTypes, hooks), 'manual', runExecutionData);
	const running = execute.processRunExecutionData(workflow);
	const cancel = () => running.cancel();
	options.signal?.addEventListener('abort', cancel, { once: true });
	let run: IRun | undefined;
	try {
		run = await running;
	} catch (error) {
		if (!running.isCanceled) throw error;
	} finally {
		options.signal?.removeEventListener('abort', cancel);
	}
	const durationMs = performance.now() - started;
	const logs = capturedLogs.splice(logStart);
	return { ...readResult(run, running.isCanceled), logs, durationMs };
}

function readResult(run: IRun | undefined, cancelled: boolean): Pick<RunResult, 'items' | 'error'> {
	const taskData = run?.data.resultData.runData[NODE_UNDER_TEST]?.[0];
	const items = taskData?.data?.main?.[0] ?? [];
	const error = taskData?.error ?? run?.data.resultData.error;
	if (error) {
		return {
			items: [],
			error: {
				message: error.message,
				description: (error as { description?: string | null }).description,
				name: error.name,
				node: (error as { node?: INode }).node?.name,
				raw: error,
			},
		};
	}
	if (cancelled && !taskData) {
		return { items: [], error: { message: 'The execution was cancelled', name: 'CancelError', raw: undefined } };
	}
	return { items };
}

export function loadOptionsContext(options: {
	node: NodeUnderTest;
	parameters: INodeParameters;
	credentials?: CredentialStore;
	credentialTypes?: ICredentialType[];
}): ILoadOptionsFunctions {
	const credentials = options.credentials ?? {};
	const { workflow, underTest } = buildWorkflow({ ...options, credentials, continueOnFail: false });
	const data = additionalData(credentials, options.credentialTypes);
	// The editor sends every parameter with its default filled in; so does this.
	const description = NodeHelpers.getVersionedNodeType(options.node.type, options.node.typeVersion).description;
	data.currentNodeParameters =
		NodeHelpers.getNodeParameters(description.properties, options.parameters, true, false, underTest, description) ??
		options.parameters;
	return new LoadOptionsContext(workflow, underTest, data, 'parameters.functionName');
}

export function credentialTestContext(): ICredentialTestFunctions {
	return new CredentialTestContext();
}

/** n8n-core keeps timers (SSH client clean-up) that would keep jest alive. */
export function shutdownEngine(): void {
	Container.get(SSHClientsManager).onShutdown();
}
