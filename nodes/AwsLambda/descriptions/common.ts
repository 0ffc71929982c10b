import type { INodeProperties } from 'n8n-workflow';

/** Commercial, China and GovCloud Regions where Lambda runs; any other code can be entered as an expression. */
const REGIONS: Array<[code: string, name: string]> = [
	['af-south-1', 'Africa (Cape Town)'],
	['ap-east-1', 'Asia Pacific (Hong Kong)'],
	['ap-east-2', 'Asia Pacific (Taipei)'],
	['ap-northeast-1', 'Asia Pacific (Tokyo)'],
	['ap-northeast-2', 'Asia Pacific (Seoul)'],
	['ap-northeast-3', 'Asia Pacific (Osaka)'],
	['ap-south-1', 'Asia Pacific (Mumbai)'],
	['ap-south-2', 'Asia Pacific (Hyderabad)'],
	['ap-southeast-1', 'Asia Pacific (Singapore)'],
	['ap-southeast-2', 'Asia Pacific (Sydney)'],
	['ap-southeast-3', 'Asia Pacific (Jakarta)'],
	['ap-southeast-4', 'Asia Pacific (Melbourne)'],
	['ap-southeast-5', 'Asia Pacific (Malaysia)'],
	['ap-southeast-7', 'Asia Pacific (Thailand)'],
	['ca-central-1', 'Canada (Central)'],
	['ca-west-1', 'Canada West (Calgary)'],
	['cn-north-1', 'China (Beijing)'],
	['cn-northwest-1', 'China (Ningxia)'],
	['eu-central-1', 'Europe (Frankfurt)'],
	['eu-central-2', 'Europe (Zurich)'],
	['eu-north-1', 'Europe (Stockholm)'],
	['eu-south-1', 'Europe (Milan)'],
	['eu-south-2', 'Europe (Spain)'],
	['eu-west-1', 'Europe (Ireland)'],
	['eu-west-2', 'Europe (London)'],
	['eu-west-3', 'Europe (Paris)'],
	['il-central-1', 'Israel (Tel Aviv)'],
	['me-central-1', 'Middle East (UAE)'],
	['me-south-1', 'Middle East (Bahrain)'],
	['mx-central-1', 'Mexico (Central)'],
	['sa-east-1', 'South America (São Paulo)'],
	['us-east-1', 'US East (N. Virginia)'],
	['us-east-2', 'US East (Ohio)'],
	['us-gov-east-1', 'AWS GovCloud (US-East)'],
	['us-gov-west-1', 'AWS GovCloud (US-West)'],
	['us-west-1', 'US West (N. California)'],
	['us-west-2', 'US West (Oregon)'],
];

export const authenticationProperty: INodeProperties = {
	displayName: 'Authentication',
	name: 'authentication',
	type: 'options',
	options: [
		{
			name: 'Access Key',
			value: 'accessKey',
			description: 'Sign requests with an IAM access key pair',
		},
		{
			name: 'Assume Role',
			value: 'assumeRole',
			description: 'Assume an IAM role through STS (with an optional External ID) and sign with its temporary keys',
		},
	],
	default: 'accessKey',
};

export const regionProperty: INodeProperties = {
	displayName: 'AWS Region',
	name: 'region',
	type: 'options',
	options: REGIONS.map(([code, name]) => ({ name: `${name} – ${code}`, value: code })),
	default: 'us-east-1',
	description:
		'AWS provides services in multiple regions, like us-west-2 or eu-west-1. Use an expression for a Region not in the list.',
};

/** The spec's Dynamic Access Key ID / Secret Access Key / Session Token, evaluated per item. */
export const dynamicCredentialsProperty: INodeProperties = {
	displayName: 'Dynamic Credentials',
	name: 'dynamicCredentials',
	type: 'collection',
	placeholder: 'Add Dynamic Credential',
	default: {},
	description:
		'Keys evaluated per item that replace the access key pair of the credential. With Assume Role they are the identity that assumes the role. The secret and the token must be expressions: a typed-in value is saved in plain text with the workflow.',
	options: [
		{
			displayName: 'Dynamic Access Key ID',
			name: 'accessKeyId',
			type: 'string',
			default: '',
			description:
				'Use this input to authenticate with AWS if you are using a dynamically-generated access key. Otherwise, use the connection to enter a static access key ID. May be typed in (it is not a secret) or an expression; an expression that resolves to nothing fails the item.',
		},
		{
			displayName: 'Dynamic Secret Access Key',
			name: 'secretAccessKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'Use this input to authenticate with AWS if you are using a dynamically-generated secret access key. Otherwise, use the connection to enter a static secret access key. Must be an expression that reads it from a previous node or from {{ $secrets.vault.name }}: a typed-in value would be saved in plain text in the workflow, its history and every execution, and is refused.',
		},
		{
			displayName: 'Dynamic Session Token',
			name: 'sessionToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'Use this input to authenticate with AWS if you are using an optional dynamically-generated session token (temporary keys). Must be an expression, like the Dynamic Secret Access Key: a typed-in token is refused.',
		},
	],
};
