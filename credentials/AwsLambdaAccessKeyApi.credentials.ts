import type { ICredentialType, INodeProperties } from 'n8n-workflow';

import { customEndpointProperties, keyPairProperties } from './shared';

export class AwsLambdaAccessKeyApi implements ICredentialType {
	name = 'awsLambdaAccessKeyApi';

	displayName = 'AWS Lambda (Access Key) API';

	icon = { light: 'file:../nodes/AwsLambda/awsLambda.svg', dark: 'file:../nodes/AwsLambda/awsLambda.dark.svg' } as const;

	documentationUrl = 'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html';

	properties: INodeProperties[] = [
		{
			displayName:
				'To use the n8n host\'s own AWS identity (instance profile, ECS task role, EKS IRSA or Pod Identity) without stored keys, use the AWS Lambda (Assume Role) API credential instead: the host identity may only assume a role, so that workflows never act with the n8n server\'s own permissions.',
			name: 'hostIdentityNotice',
			type: 'notice',
			default: '',
		},
		...keyPairProperties('An AWS IAM Access Key ID'),
		{
			displayName: 'Session Token',
			name: 'sessionToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Only for temporary keys (access key IDs starting with ASIA)',
		},
		...customEndpointProperties,
	];
}
