import type { ICredentialType, INodeProperties } from 'n8n-workflow';

import { customEndpointProperties, keyPairProperties } from './shared';

export class AwsLambdaAssumeRoleApi implements ICredentialType {
	name = 'awsLambdaAssumeRoleApi';

	displayName = 'AWS Lambda (Assume Role) API';

	icon = { light: 'file:../nodes/AwsLambda/awsLambda.svg', dark: 'file:../nodes/AwsLambda/awsLambda.dark.svg' } as const;

	documentationUrl = 'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_permissions-to-switch.html';

	properties: INodeProperties[] = [
		{
			displayName: 'Role ARN',
			name: 'roleArn',
			type: 'string',
			required: true,
			default: '',
			placeholder: 'arn:aws:iam::123456789012:role/n8n-lambda-invoker',
			description: 'An AWS IAM Role ARN: the role to assume',
		},
		{
			displayName: 'Credentials Source',
			name: 'credentialsSource',
			type: 'options',
			options: [
				{
					name: 'Stored Access Key',
					value: 'stored',
					description: 'An access key stored in this credential assumes the role',
				},
				{
					name: 'n8n Host\'s AWS Identity',
					value: 'host',
					description:
						'The n8n server\'s own AWS identity assumes the role: environment variables, EKS IRSA web identity token, ECS task role or EKS Pod Identity, EC2 instance profile (in that order). Only when the administrator started n8n with N8N_AWS_SYSTEM_CREDENTIALS_ACCESS_ENABLED=true; the host identity is only used to assume the role, never for Lambda calls.',
				},
			],
			default: 'stored',
			description: 'The identity that calls STS AssumeRole',
		},
		...keyPairProperties('An AWS IAM Access Key ID of the user (or role) allowed to assume the role', {
			show: { credentialsSource: ['stored'] },
		}),
		{
			displayName: 'External ID',
			name: 'externalId',
			type: 'string',
			default: '',
			description:
				'Provides enhanced security measures to the connection. Optional, but recommended: it must match the sts:ExternalId condition of the role\'s trust policy. See https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html#id_roles_third-party_external-id.',
		},
		{
			displayName: 'Role Session Name',
			name: 'roleSessionName',
			type: 'string',
			default: 'n8n-aws-lambda',
			description: 'Shown in CloudTrail for the assumed session: 2 to 64 characters of letters, digits and +=,.@-_',
		},
		{
			displayName: 'Session Duration (Seconds)',
			name: 'durationSeconds',
			type: 'number',
			typeOptions: { minValue: 900, maxValue: 43200 },
			default: 3600,
			description:
				'How long the temporary keys live: 900 to 43,200 seconds, and at most the role\'s maximum session duration (3,600 when chaining roles, as always with the n8n host\'s AWS identity). They are renewed automatically 5 minutes before they expire.',
		},
		...customEndpointProperties,
	];
}
