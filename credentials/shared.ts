import type { INodeProperties } from 'n8n-workflow';

/**
 * The key pair both credential types hold; with Assume Role it is the identity that assumes the role,
 * shown only when that identity is stored (`displayOptions`).
 */
export function keyPairProperties(
	accessKeyDescription: string,
	displayOptions?: INodeProperties['displayOptions'],
): INodeProperties[] {
	return [
		{
			displayName: 'Access Key ID',
			name: 'accessKeyId',
			type: 'string',
			required: true,
			default: '',
			description: accessKeyDescription,
			...(displayOptions ? { displayOptions } : {}),
		},
		{
			displayName: 'Secret Access Key',
			name: 'secretAccessKey',
			type: 'string',
			typeOptions: { password: true },
			required: true,
			default: '',
			description: 'An AWS IAM Secret Access Key',
			...(displayOptions ? { displayOptions } : {}),
		},
	];
}

/** For VPC, FIPS or LocalStack endpoints, and the package's own local test endpoint. */
export const customEndpointProperties: INodeProperties[] = [
	{
		displayName: 'Custom Endpoints',
		name: 'customEndpoints',
		type: 'boolean',
		default: false,
		description: 'Whether to send requests to endpoints other than the AWS defaults for the Region',
	},
	{
		displayName: 'Lambda Endpoint',
		name: 'lambdaEndpoint',
		type: 'string',
		default: '',
		placeholder: 'https://lambda.eu-west-1.amazonaws.com',
		displayOptions: { show: { customEndpoints: [true] } },
		description: 'Leave empty for the AWS default of the node\'s Region',
	},
	{
		displayName: 'STS Endpoint',
		name: 'stsEndpoint',
		type: 'string',
		default: '',
		placeholder: 'https://sts.eu-west-1.amazonaws.com',
		displayOptions: { show: { customEndpoints: [true] } },
		description:
			'Leave empty for the regional AWS STS endpoint of the node\'s Region (of the role\'s partition when the Region is in another). The Test button asks STS in the partition of the Role ARN; for an access key it tries aws, aws-cn and aws-us-gov in turn. A custom endpoint named like sts.REGION.amazonaws.com is signed for that Region.',
	},
];
