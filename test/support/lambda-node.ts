import { isDeepStrictEqual } from 'node:util';

import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { AwsLambdaAccessKeyApi } from '../../credentials/AwsLambdaAccessKeyApi.credentials';
import { AwsLambdaAssumeRoleApi } from '../../credentials/AwsLambdaAssumeRoleApi.credentials';
import { AwsLambda } from '../../nodes/AwsLambda/AwsLambda.node';
import type { AwsKey, LocalAwsOptions } from './aws-endpoint';
import { DEFAULT_EXTERNAL_ID, DEFAULT_KEY, DEFAULT_ROLE_ARN, LocalAws } from './aws-endpoint';
import type { CredentialStore, RunResult } from './engine';
import { runNode, shutdownEngine } from './engine';

/**
 * One local AWS endpoint per test file: started before the first test, its request log and fault
 * knobs cleared before each, stopped (with the engine's timers) after the last.
 */
export function useLocalAws(options: LocalAwsOptions, receive: (aws: LocalAws) => void): void {
	let server: LocalAws | undefined;
	beforeAll(async () => {
		server = await LocalAws.start({ quiet: true, ...options });
		receive(server);
	});
	afterAll(async () => {
		await server?.stop();
		shutdownEngine();
	});
	beforeEach(() => {
		server?.clearLog();
		server?.faults.reset();
	});
}

/** Credential data as n8n stores it for the access-key type, pointed at the local endpoint. */
export function accessKeyCredential(aws: LocalAws, key: AwsKey = DEFAULT_KEY, extra: IDataObject = {}) {
	return {
		accessKeyId: key.accessKeyId,
		secretAccessKey: key.secretAccessKey,
		sessionToken: key.sessionToken ?? '',
		customEndpoints: true,
		lambdaEndpoint: aws.url,
		stsEndpoint: aws.url,
		...extra,
	};
}

export function assumeRoleCredential(aws: LocalAws, extra: IDataObject = {}) {
	return {
		roleArn: DEFAULT_ROLE_ARN,
		accessKeyId: DEFAULT_KEY.accessKeyId,
		secretAccessKey: DEFAULT_KEY.secretAccessKey,
		externalId: DEFAULT_EXTERNAL_ID,
		roleSessionName: 'n8n-aws-lambda',
		durationSeconds: 3600,
		customEndpoints: true,
		lambdaEndpoint: aws.url,
		stsEndpoint: aws.url,
		...extra,
	};
}

/** The credential an example workflow names, filled in for the local endpoint. */
export function credentialsFor(aws: LocalAws, credentialType: string): CredentialStore {
	return credentialType === 'awsLambdaAssumeRoleApi'
		? { awsLambdaAssumeRoleApi: assumeRoleCredential(aws) }
		: { awsLambdaAccessKeyApi: accessKeyCredential(aws) };
}

export function invokeParameters(functionName: string, extra: INodeParameters = {}): INodeParameters {
	return {
		operation: 'invoke',
		region: 'us-east-1',
		functionName: { __rl: true, mode: 'name', value: functionName },
		invocationType: 'RequestResponse',
		payload: '{}',
		options: {},
		...extra,
	};
}

export function listParameters(extra: INodeParameters = {}): INodeParameters {
	return { operation: 'listFunctions', region: 'us-east-1', returnAll: false, maxItems: 50, marker: '', options: {}, ...extra };
}

export interface LambdaRun {
	parameters: INodeParameters;
	items?: Array<IDataObject | INodeExecutionData>;
	credentials?: CredentialStore;
	continueOnFail?: boolean;
	signal?: AbortSignal;
	/** Run as the AI Agent tool variant n8n generates (`…awsLambdaTool`); what it returns is what the model reads. */
	asTool?: boolean;
}

/** What n8n does to the tool variant's description that the node sees: the type name ends in Tool. */
export function toolVariant(): AwsLambda {
	const node = new AwsLambda();
	node.description = { ...node.description, name: `${node.description.name}Tool` };
	return node;
}

const TOOL_TYPE_NAME = 'n8n-nodes-aws-lambda.awsLambdaTool';

export const credentialTypes = [new AwsLambdaAccessKeyApi(), new AwsLambdaAssumeRoleApi()];

/** Runs this package's node in n8n's engine; by default with an access-key credential for `aws`. */
export async function runLambda(aws: LocalAws, run: LambdaRun): Promise<RunResult> {
	return await runNode({
		node: run.asTool ? { type: toolVariant(), typeName: TOOL_TYPE_NAME } : { type: new AwsLambda() },
		parameters: run.parameters,
		items: run.items,
		credentials: run.credentials ?? { awsLambdaAccessKeyApi: accessKeyCredential(aws) },
		credentialTypes,
		continueOnFail: run.continueOnFail,
		signal: run.signal,
	});
}

/**
 * Every string the node added to a run's result: output JSON (without the input fields n8n passed
 * through, which are the user's own data), error text, the error object with its node, logs.
 */
export function everythingVisible(result: RunResult, inputs: Array<IDataObject | INodeExecutionData> = []): string {
	return JSON.stringify({
		items: result.items.map((item) => producedFields(item, inputs)),
		error: result.error && { message: result.error.message, description: result.error.description, raw: serialisable(result.error.raw) },
		logs: result.logs,
	});
}

function producedFields(item: INodeExecutionData, inputs: Array<IDataObject | INodeExecutionData>): INodeExecutionData {
	const paired = inputs[(item.pairedItem as { item?: number } | undefined)?.item ?? 0];
	const input = (paired && 'json' in paired ? paired.json : paired) as IDataObject | undefined;
	const produced = Object.entries(item.json).filter(([field, value]) => !isDeepStrictEqual(value, input?.[field]));
	return { ...item, json: Object.fromEntries(produced) };
}

function serialisable(value: unknown): unknown {
	if (!value || typeof value !== 'object') return value;
	const seen = new WeakSet();
	return JSON.parse(
		JSON.stringify(value, (_key, field: unknown) => {
			if (field && typeof field === 'object') {
				if (seen.has(field)) return undefined;
				seen.add(field);
			}
			if (field instanceof Error) {
				return { ...field, message: field.message, stack: field.stack, name: field.name };
			}
			return field;
		}),
	);
}
