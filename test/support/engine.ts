/**
 * Runs a node inside n8n's real execution engine, in-process: n8n-core's WorkflowExecute processes a
 * two-node workflow (a start node that emits the given items, then the node under test), the idea
 * of n8n's own (unpublished) NodeTestHarness. Everything between the items and the node's output is
 * n8n's: parameter defaults and expression resolution per item, Continue On Fail and the error
 * output, pairedItem, credentials through an ICredentialsHelper, the execution's cancel signal, and
 * the loggers. The pieces live in ./engine/.
 */
import { Container } from '@n8n/di';
import { CredentialTestContext, LoadOptionsContext, WorkflowExecute } from 'n8n-core';
import { SSHClientsManager } from 'n8n-core/dist/execution-engine/ssh-clients-manager';
import type {
	ExecutionError,
	ICredentialTestFunctions,
	ICredentialType,
	IDataObject,
	ILoadOptionsFunctions,
	INode,
	INodeExecutionData,
	INodeParameters,
	IRun,
} from 'n8n-workflow';
import { createRunExecutionData, NodeHelpers } from 'n8n-workflow';

import type { CredentialStore } from './engine/credentials';
import { closeLogSink, installLogCapture, openLogSink } from './engine/logs';
import type { NodeUnderTest, OnError } from './engine/workflow';
import {
	buildAdditionalData,
	buildWorkflow,
	lifecycleHooks,
	nextExecutionId,
	NODE_UNDER_TEST_NAME,
	START_NODE_NAME,
	toItems,
	useTestInstanceFolder,
} from './engine/workflow';

export type { CredentialStore } from './engine/credentials';
export type { NodeUnderTest } from './engine/workflow';
export { NODE_UNDER_TEST_NAME, START_NODE_NAME };

useTestInstanceFolder();
installLogCapture();

export interface RunOptions {
	node: NodeUnderTest;
	parameters: INodeParameters;
	/** Input items from the start node; plain objects become `{ json }`. Default `[{}]`. */
	items?: Array<IDataObject | INodeExecutionData>;
	/** Every type present here is attached to the node as `{ id, name }`. */
	credentials?: CredentialStore;
	/** Credential type classes to register (properties and defaults, authenticate, preAuthentication). */
	credentialTypes?: ICredentialType[];
	/** node.onError = 'continueRegularOutput'. */
	continueOnFail?: boolean;
	/** Sets node.onError directly (e.g. 'continueErrorOutput', whose items arrive in `outputs[1]`); wins over continueOnFail. */
	onError?: OnError;
	/** Aborting cancels the running execution the way n8n does when a user stops it. */
	signal?: AbortSignal;
}

export interface RunError {
	message: string;
	description?: string | null;
	name: string;
	node?: string;
	/** The error as n8n's engine recorded it in the run data (a plain copy of the thrown error's fields, not its instance). */
	raw: unknown;
}

export interface RunResult {
	/** Main output 0 of the node under test ([] if it failed). */
	items: INodeExecutionData[];
	/** Every main output of the node under test (with continueErrorOutput, the error items are the last). */
	outputs: INodeExecutionData[][];
	/** The node's error, or the cancellation. */
	error?: RunError;
	/** 'canceled' when the signal stopped the run, else 'error' when `error` is set, else 'success'. */
	status: 'success' | 'error' | 'canceled';
	/** Every line logged through LoggerProxy or the DI Logger (`this.logger`) during the run: `level: message {meta JSON}`. */
	logs: string[];
	durationMs: number;
}

export async function runNode(options: RunOptions): Promise<RunResult> {
	const credentials = options.credentials ?? {};
	const onError = options.onError ?? (options.continueOnFail ? 'continueRegularOutput' : undefined);
	const { workflow, workflowData, start, underTest } = buildWorkflow({
		node: options.node,
		parameters: options.parameters,
		credentials,
		onError,
	});
	const executionId = nextExecutionId();
	const additionalData = buildAdditionalData({
		executionId,
		credentials,
		credentialTypes: options.credentialTypes,
		hooks: lifecycleHooks(executionId, workflowData),
	});
	const runExecutionData = createRunExecutionData({
		executionData: { nodeExecutionStack: [{ node: start, data: { main: [toItems(options.items)] }, source: null }] },
	});

	const logs = openLogSink();
	const started = performance.now();
	let cancelled = false;
	try {
		const execute = new WorkflowExecute(additionalData, 'manual', runExecutionData);
		let running: ReturnType<WorkflowExecute['processRunExecutionData']>;
		try {
			running = execute.processRunExecutionData(workflow);
		} catch (error) {
			throw explainStartFailure(error, underTest, workflow.nodeTypes.getByNameAndVersion(underTest.type, underTest.typeVersion));
		}
		// As n8n's ActiveExecutions.stopExecution: cancel the PCancelable. The engine aborts the signal
		// nodes get from getExecutionCancelSignal(), and resolves once the running node returns.
		const cancel = () => {
			cancelled = true;
			running.cancel();
		};
		if (options.signal?.aborted) cancel();
		else options.signal?.addEventListener('abort', cancel, { once: true });
		let run: IRun;
		try {
			run = await running;
		} finally {
			options.signal?.removeEventListener('abort', cancel);
		}
		const durationMs = performance.now() - started;
		return { ...readResult(run, cancelled), logs, durationMs };
	} finally {
		closeLogSink(logs);
	}
}

function toRunError(error: ExecutionError): RunError {
	const fields = error as ExecutionError & { description?: string | null; node?: INode };
	return {
		message: fields.message,
		description: fields.description,
		name: fields.name ?? 'Error',
		node: fields.node?.name,
		raw: error,
	};
}

function readResult(run: IRun, cancelled: boolean): Pick<RunResult, 'items' | 'outputs' | 'error' | 'status'> {
	const taskData = run.data.resultData.runData[NODE_UNDER_TEST_NAME]?.[0];
	const outputs = (taskData?.data?.main ?? []).map((output) => output ?? []);
	const nodeError = taskData?.error;
	const runError = run.data.resultData.error;
	// A run error with no node error and no cancel means the engine itself failed (a hook, the start
	// node): that is the harness's problem, not the node's, so it rejects.
	if (!nodeError && runError && !cancelled) {
		throw new Error(`n8n's engine failed outside the node under test: ${runError.message}`, { cause: runError });
	}
	const error = nodeError ?? runError;
	return {
		items: outputs[0] ?? [],
		outputs,
		...(error ? { error: toRunError(error) } : {}),
		status: cancelled ? 'canceled' : error ? 'error' : 'success',
	};
}

/** The engine refuses to start a workflow with parameter issues (a required parameter missing, an unknown type): say which. */
function explainStartFailure(error: unknown, node: INode, type: ReturnType<typeof NodeHelpers.getVersionedNodeType> | undefined): Error {
	const message = error instanceof Error ? error.message : String(error);
	let issues: unknown = null;
	try {
		issues = type ? NodeHelpers.getNodeParametersIssues(type.description.properties, node, type.description) : null;
	} catch {
		// The description itself is broken; the original message is all there is.
	}
	return new Error(`n8n's engine did not start the workflow: ${message}${issues ? ` Issues of "${node.name}": ${JSON.stringify(issues)}` : ''}`, {
		cause: error,
	});
}

/**
 * A real n8n-core LoadOptionsContext, as the editor's dynamic-parameters endpoint builds one, for
 * calling `node.methods.listSearch.*` / `loadOptions.*`. `currentNodeParameters` holds the given
 * parameters with defaults filled in, as the editor sends them. `path` is the parameter being
 * edited (default: the function name resource locator of this package's node).
 */
export function loadOptionsContext(options: {
	node: NodeUnderTest;
	parameters: INodeParameters;
	credentials?: CredentialStore;
	credentialTypes?: ICredentialType[];
	path?: string;
}): ILoadOptionsFunctions {
	const credentials = options.credentials ?? {};
	const { workflow, underTest } = buildWorkflow({ node: options.node, parameters: options.parameters, credentials });
	const additionalData = buildAdditionalData({ executionId: nextExecutionId(), credentials, credentialTypes: options.credentialTypes });
	additionalData.currentNodeParameters = underTest.parameters;
	return new LoadOptionsContext(workflow, underTest, additionalData, options.path ?? 'parameters.functionName');
}

/** n8n-core's own CredentialTestContext (helpers.request, logger), which is what `credentialTest` methods receive. */
export function credentialTestContext(): ICredentialTestFunctions {
	return new CredentialTestContext();
}

/**
 * Collects the log lines of anything that is not a `runNode` (a listSearch call, a credential
 * test): every line logged while `action` runs.
 */
export async function captureLogs<T>(action: () => Promise<T>): Promise<{ result: T; logs: string[] }> {
	const logs = openLogSink();
	try {
		return { result: await action(), logs };
	} finally {
		closeLogSink(logs);
	}
}

/** Stops n8n-core's timers (SSHClientsManager's clean-up interval) so jest exits; call in afterAll. */
export function shutdownEngine(): void {
	Container.get(SSHClientsManager).onShutdown();
}
