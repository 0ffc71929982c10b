import type { INodeProperties } from 'n8n-workflow';

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
		description: 'Leave empty for the regional AWS STS endpoint of the node\'s Region',
	},
];
