import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	ILoadOptionsFunctions,
	INodeListSearchItems,
	INode,
	INodeListSearchResult,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { inputError, redactedNode } from '../input/errors';
import { LIMITS } from '../input/limits';
import { assertRegion } from '../input/region';
import { LambdaClients } from '../transport/clients';
import type { Authentication } from '../transport/credentials';
import { credentialTypeFor, resolveAccess } from '../transport/credentials';
import { loadLambdaSdk } from '../transport/sdk';
import { sendAws } from '../transport/send';

/** Stop scanning once a filtered search has this many matches; the list asks for more as the user scrolls. */
const ENOUGH_MATCHES = 20;
/** AWS has no server-side name filter: bound how many pages one keystroke may scan. */
const MAX_PAGES_PER_SEARCH = 20;

/**
 * Function picker for the resource locator: one page of the Region's functions at a time, filtered
 * by name, with NextMarker as the pagination token so large accounts load as the user scrolls.
 */
export async function searchFunctions(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const node = this.getNode();
	const region = pickerRegion(this);
	const authentication = (this.getCurrentNodeParameter('authentication') ?? 'accessKey') as Authentication;
	const credentialType = credentialTypeFor(authentication);
	const credential = node.credentials?.[credentialType]
		? await this.getCredentials<ICredentialDataDecryptedObject>(credentialType)
		: undefined;
	const access = resolveAccess({
		node,
		itemIndex: 0,
		authentication,
		dynamic: pickerDynamicCredentials(node, this.getCurrentNodeParameter('dynamicCredentials'), credential !== undefined),
		credential,
		region,
	});
	const { ListFunctionsCommand } = await loadLambdaSdk();
	const clients = new LambdaClients(1);
	const needle = filter?.trim().toLowerCase() ?? '';
	const results: INodeListSearchItems[] = [];
	let marker = paginationToken || undefined;
	try {
		for (let page = 0; page < MAX_PAGES_PER_SEARCH; page++) {
			const output = await sendAws(
				{ clients },
				{
					access,
					region,
					kind: 'read',
					settings: { timeoutMs: 30_000, maxAttempts: 3 },
					failure: { node, action: 'List functions' },
				},
				async (client) =>
					await client.send(new ListFunctionsCommand({ Marker: marker, MaxItems: LIMITS.listPageSize })),
			);
			for (const fn of output.Functions ?? []) {
				if (!fn.FunctionName || !fn.FunctionName.toLowerCase().includes(needle)) continue;
				results.push({
					name: fn.FunctionName,
					value: fn.FunctionName,
					description: [fn.Runtime, fn.Description].filter(Boolean).join(' – ') || undefined,
					url: `https://${region}.console.aws.amazon.com/lambda/home?region=${region}#/functions/${encodeURIComponent(fn.FunctionName)}`,
				});
			}
			marker = output.NextMarker;
			if (!marker || !needle || results.length >= ENOUGH_MATCHES) break;
		}
	} finally {
		await clients.destroy();
	}
	return { results, paginationToken: marker };
}

/**
 * The editor sends the Region as typed: getNodeParameter resolves an expression the way n8n does for
 * load options, without input data, so `{{ $vars.region }}` works and `{{ $json.region }}` cannot.
 */
function pickerRegion(context: ILoadOptionsFunctions): string {
	const node = context.getNode();
	let region: unknown;
	try {
		region = context.getNodeParameter('region', 'us-east-1');
	} catch {
		region = undefined;
	}
	const typed = context.getCurrentNodeParameter('region');
	if (typeof typed === 'string' && typed.startsWith('=') && !isRegionText(region)) {
		throw inputError(
			node,
			0,
			'AWS Region',
			`the expression ${typed.slice(1)} gives no Region here: the function list is loaded without an input item`,
			'Use a fixed Region or an expression without input data ($vars, for example) to pick from the list, or enter the function By Name or By ARN.',
		);
	}
	return assertRegion(node, 0, region);
}

function isRegionText(value: unknown): boolean {
	return typeof value === 'string' && value.trim() !== '';
}

/**
 * The list is loaded without an input item or the secrets store, so an expression in a Dynamic
 * Credentials field cannot be evaluated here. Keeping only the typed-in fields would pair a key ID
 * with no secret (or the credential's secret): the selected credential's own keys are used instead.
 */
function pickerDynamicCredentials(node: INode, value: unknown, credentialSelected: boolean): IDataObject {
	const fields = value && typeof value === 'object' ? (value as IDataObject) : {};
	if (!Object.values(fields).some(isExpression)) return fields;
	if (credentialSelected) return {};
	throw new NodeOperationError(
		redactedNode(node),
		'The function list cannot evaluate Dynamic Credentials expressions: select a credential for browsing, or enter the function By Name / By ARN.',
		{ description: 'Dynamic Credentials are evaluated per item when the workflow runs; the editor has neither an input item nor the secrets store to evaluate them with.' },
	);
}

function isExpression(field: unknown): boolean {
	return typeof field === 'string' && field.startsWith('=');
}
