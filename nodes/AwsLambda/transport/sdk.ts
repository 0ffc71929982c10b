/**
 * The AWS SDK is loaded on first use, not when n8n loads the node: n8n loads every installed
 * node at start-up, and the two SDK clients cost more to require than the rest of the package.
 */
type LambdaSdk = typeof import('@aws-sdk/client-lambda');
type StsSdk = typeof import('@aws-sdk/client-sts');

let lambdaSdk: Promise<LambdaSdk> | undefined;
let stsSdk: Promise<StsSdk> | undefined;

export async function loadLambdaSdk(): Promise<LambdaSdk> {
	lambdaSdk ??= import('@aws-sdk/client-lambda');
	return await lambdaSdk;
}

export async function loadStsSdk(): Promise<StsSdk> {
	stsSdk ??= import('@aws-sdk/client-sts');
	return await stsSdk;
}

/**
 * Client settings that make the credential's Custom Endpoints the only way to change where calls go:
 * without them the SDK also follows AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, the FIPS and
 * dual-stack switches, and the same keys in ~/.aws/config — settings of the n8n host that would
 * silently send a workflow's calls, signed with its keys, somewhere else.
 */
export const PINNED_ENDPOINT_CONFIG = {
	ignoreConfiguredEndpointUrls: true,
	useFipsEndpoint: false,
	useDualstackEndpoint: false,
} as const;
