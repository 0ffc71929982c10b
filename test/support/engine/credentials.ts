/**
 * The harness's ICredentialsHelper: credentials come from the test's in-memory store (decrypted data
 * keyed by credential type) instead of n8n's database, and are then treated the way n8n's own
 * helper (packages/cli credentials-helper) treats them on the way to a node: defaults of the
 * credential type filled in and fields its displayOptions hide dropped, expressions in the data
 * resolved (per item during an execution), `authenticate` (function or generic) and
 * `preAuthentication` (expirable hidden field) applied.
 */
import { getAdditionalKeys } from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	ICredentials,
	ICredentialsExpressionResolveValues,
	ICredentialType,
	IExecuteData,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INode,
	INodeCredentialsDetails,
	INodeParameters,
	INodeProperties,
	INodeType,
	INodeTypes,
	IRequestOptionsSimplified,
	IVersionedNodeType,
	IWorkflowExecuteAdditionalData,
	WorkflowExecuteMode,
} from 'n8n-workflow';
import { ICredentialsHelper, NodeHelpers, Workflow } from 'n8n-workflow';

/** Decrypted credential data keyed by credential type name. */
export interface CredentialStore {
	[credentialType: string]: ICredentialDataDecryptedObject;
}

const isExpression = (value: unknown): boolean => typeof value === 'string' && value.startsWith('=');

/** A node type map that knows no node: enough for a workflow that only resolves expressions. */
const noNodeTypes: INodeTypes = {
	getByName: () => undefined as unknown as INodeType | IVersionedNodeType,
	getByNameAndVersion: () => undefined as unknown as INodeType,
	getKnownTypes: () => ({}),
};

const expressionNode: INode = {
	id: 'credential-expression',
	name: 'Credential expression',
	type: 'harness.credentialExpression',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

export class TestCredentialsHelper extends ICredentialsHelper {
	/** The helper's own copy of the store: `updateCredentials` (e.g. after preAuthentication) writes here, not into the test's object. */
	private readonly store: CredentialStore;

	constructor(
		store: CredentialStore,
		private readonly types: ReadonlyMap<string, ICredentialType>,
	) {
		super();
		this.store = { ...store };
	}

	getParentTypes(name: string): string[] {
		const parents = this.types.get(name)?.extends ?? [];
		return parents.flatMap((parent) => [parent, ...this.getParentTypes(parent)]);
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		requestOptions: IHttpRequestOptions | IRequestOptionsSimplified,
		workflow: Workflow,
		node: INode,
	): Promise<IHttpRequestOptions> {
		const authenticate = this.types.get(typeName)?.authenticate;
		if (typeof authenticate === 'function') {
			return await authenticate(credentials, requestOptions as IHttpRequestOptions);
		}
		if (authenticate?.type === 'generic') {
			const resolve = (value: string): string =>
				isExpression(value)
					? String(workflow.expression.getSimpleParameterValue(node, value, 'internal', { $credentials: credentials }) ?? '')
					: value;
			const target = requestOptions as unknown as Record<string, Record<string, unknown> | undefined>;
			for (const [section, entries] of Object.entries(authenticate.properties)) {
				const resolved = (target[section] ??= {});
				for (const [key, value] of Object.entries(entries as Record<string, string>)) {
					resolved[resolve(key)] = resolve(value);
				}
			}
		}
		return requestOptions as IHttpRequestOptions;
	}

	/** As n8n: only for a type with an expirable hidden field, when it is empty or the request said it expired. */
	async preAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		_node: INode,
		credentialsExpired: boolean,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const type = this.types.get(typeName);
		const expirable = type?.properties.find((property) => property.type === 'hidden' && property.typeOptions?.expirable === true);
		if (!type || !expirable || typeof type.preAuthentication !== 'function') return undefined;
		if (credentials[expirable.name] !== '' && !credentialsExpired) return undefined;
		const output = (await type.preAuthentication.call(helpers, credentials)) as ICredentialDataDecryptedObject | undefined;
		if (output?.[expirable.name] === undefined) return undefined;
		this.store[typeName] = { ...(this.store[typeName] ?? {}), ...output };
		return Object.assign(credentials, output);
	}

	async getCredentials(_nodeCredentials: INodeCredentialsDetails, type: string): Promise<ICredentials> {
		throw new Error(`The engine harness keeps credentials decrypted; getCredentials("${type}") is not supported`);
	}

	async getDecrypted(
		additionalData: IWorkflowExecuteAdditionalData,
		_nodeCredentials: INodeCredentialsDetails,
		type: string,
		mode: WorkflowExecuteMode,
		executeData?: IExecuteData,
		raw?: boolean,
		expressionResolveValues?: ICredentialsExpressionResolveValues,
	): Promise<ICredentialDataDecryptedObject> {
		const stored = this.store[type];
		if (stored === undefined) {
			throw new Error(`Credential of type "${type}" is not in the test's credential store`);
		}
		if (raw === true) return { ...stored };
		const properties = this.getCredentialsProperties(type);
		let data: ICredentialDataDecryptedObject =
			properties.length > 0
				? ((NodeHelpers.getNodeParameters(properties, stored as INodeParameters, true, false, null, null) ??
						{}) as ICredentialDataDecryptedObject)
				: { ...stored };
		if (stored.oauthTokenData !== undefined) data.oauthTokenData = stored.oauthTokenData;
		if (!Object.values(data).some(isExpression)) return data;

		const additionalKeys = getAdditionalKeys(additionalData, mode, null);
		if (expressionResolveValues) {
			const { workflow, runExecutionData, runIndex, itemIndex, node, connectionInputData } = expressionResolveValues;
			data = workflow.expression.getParameterValue(
				data as INodeParameters,
				runExecutionData,
				runIndex,
				itemIndex,
				node.name,
				connectionInputData,
				mode,
				additionalKeys,
				executeData,
				false,
				data,
			) as ICredentialDataDecryptedObject;
		} else {
			const workflow = new Workflow({ nodes: [expressionNode], connections: {}, active: false, nodeTypes: noNodeTypes });
			data = workflow.expression.getComplexParameterValue(
				expressionNode,
				data as INodeParameters,
				mode,
				additionalKeys,
				undefined,
				undefined,
				data,
			) as ICredentialDataDecryptedObject;
		}
		return data;
	}

	async updateCredentials(_nodeCredentials: INodeCredentialsDetails, type: string, data: ICredentialDataDecryptedObject): Promise<void> {
		this.store[type] = { ...data };
	}

	async updateCredentialsOauthTokenData(
		_nodeCredentials: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		this.store[type] = { ...(this.store[type] ?? {}), oauthTokenData: data.oauthTokenData };
	}

	/** The type's properties after those of the types it extends, as n8n merges them; [] for an unregistered type. */
	getCredentialsProperties(type: string): INodeProperties[] {
		const credentialType = this.types.get(type);
		if (!credentialType) return [];
		if (!credentialType.extends) return credentialType.properties;
		const merged: INodeProperties[] = [];
		for (const parent of credentialType.extends) NodeHelpers.mergeNodeProperties(merged, this.getCredentialsProperties(parent));
		NodeHelpers.mergeNodeProperties(merged, credentialType.properties);
		return merged;
	}

	isCredentialUsableByNode(): boolean {
		return true;
	}
}
