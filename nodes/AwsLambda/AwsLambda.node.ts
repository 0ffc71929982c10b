import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	NodeConnectionType,
} from 'n8n-workflow';

import * as durableExecution from './actions/durableExecution/DurableExecution.resource';
import * as lambdaFunction from './actions/function/Function.resource';
import { route } from './actions/router';
import { authenticationProperty, dynamicCredentialsProperty, regionProperty } from './descriptions/common';
import { awsLambdaCredentialTest } from './methods/credentialTest';
import { searchFunctions } from './methods/listSearch';

export class AwsLambda implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'AWS Lambda (Community)',
		name: 'awsLambda',
		icon: { light: 'file:awsLambda.svg', dark: 'file:awsLambda.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["resource"] === "durableExecution" ? "Durable execution: " + $parameter["operation"] : $parameter["operation"] === "listFunctions" ? "List functions" : "Invoke " + ($parameter["functionName"].cachedResultName || $parameter["functionName"].value || "a function") }}',
		description: 'List and invoke AWS Lambda functions',
		defaults: { name: 'AWS Lambda' },
		usableAsTool: true,
		// The string, not NodeConnectionTypes.Main: n8n 1.x releases before that export still load the node.
		inputs: ['main' as NodeConnectionType],
		outputs: ['main' as NodeConnectionType],
		credentials: [
			{
				name: 'awsLambdaAccessKeyApi',
				// Optional: every key can come from Dynamic Credentials instead.
				required: false,
				testedBy: 'awsLambdaCredentialTest',
				displayOptions: { show: { authentication: ['accessKey'] } },
			},
			{
				name: 'awsLambdaAssumeRoleApi',
				required: true,
				testedBy: 'awsLambdaCredentialTest',
				displayOptions: { show: { authentication: ['assumeRole'] } },
			},
		],
		properties: [
			authenticationProperty,
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Function', value: 'function' },
					{ name: 'Durable Execution', value: 'durableExecution' },
				],
				default: 'function',
			},
			lambdaFunction.operationProperty,
			durableExecution.operationProperty,
			regionProperty,
			...lambdaFunction.description,
			...durableExecution.description,
			dynamicCredentialsProperty,
		],
	};

	methods = {
		listSearch: { searchFunctions },
		credentialTest: { awsLambdaCredentialTest },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await route.call(this);
	}
}
