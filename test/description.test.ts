/** The documented inputs (../shared/spec/aws-lambda-connector.md) all exist, with their labels and meaning. */
import type { INodeProperties } from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';

import { AwsLambdaAccessKeyApi } from '../credentials/AwsLambdaAccessKeyApi.credentials';
import { AwsLambdaAssumeRoleApi } from '../credentials/AwsLambdaAssumeRoleApi.credentials';
import { AwsLambda } from '../nodes/AwsLambda/AwsLambda.node';

const node = new AwsLambda();
const properties = node.description.properties;

/** Labels of the inputs n8n shows for an operation, including collection fields. */
function visibleLabels(operation: string): string[] {
	// Resolved with their defaults as n8n does on load, so parameters added later (Resource) take their default.
	const stored = { operation, authentication: 'accessKey', returnAll: false };
	const parameters = NodeHelpers.getNodeParameters(properties, stored, true, false, null, node.description) ?? stored;
	const shown = properties.filter((property) => NodeHelpers.displayParameter(parameters, property, null, node.description));
	return shown.flatMap((property) => [
		property.displayName,
		...((property.options ?? []) as INodeProperties[]).map((option) => option.displayName).filter(Boolean),
	]);
}

describe('Documented inputs', () => {
	const common = ['Dynamic Access Key ID', 'Dynamic Secret Access Key', 'Dynamic Session Token', 'AWS Region'];

	it('Invoke has every documented input', () => {
		expect(visibleLabels('invoke')).toEqual(expect.arrayContaining([...common, 'Function Name or ARN', 'Invoke Type', 'Payload']));
	});

	it('List Functions has every documented input', () => {
		expect(visibleLabels('listFunctions')).toEqual(expect.arrayContaining([...common, 'Marker', 'Max Items']));
	});

	it('keeps the documented defaults and ranges', () => {
		const byName = (name: string) => properties.find((property) => property.name === name);
		expect(byName('invocationType')?.default).toBe('RequestResponse');
		expect((byName('invocationType')?.options as Array<{ value: string }>).map((option) => option.value)).toEqual(['RequestResponse', 'Event', 'DryRun']);
		expect(byName('maxItems')?.typeOptions).toEqual({ minValue: 1, maxValue: 50 });
		expect(byName('functionName')?.description).toMatch(/function name \(my-function\), name with alias \(my-function:v1\), or function ARN/);
	});

	it('both connections have their documented fields, secrets as passwords', () => {
		const fields = (type: { properties: INodeProperties[] }) =>
			Object.fromEntries(type.properties.map((property) => [property.displayName, property.typeOptions?.password === true]));
		expect(fields(new AwsLambdaAccessKeyApi())).toMatchObject({ 'Access Key ID': false, 'Secret Access Key': true, 'Session Token': true });
		expect(fields(new AwsLambdaAssumeRoleApi())).toMatchObject({ 'Role ARN': false, 'Access Key ID': false, 'Secret Access Key': true, 'External ID': false });
	});

	it('is usable as an AI tool and names its actions the n8n way', () => {
		expect(node.description.usableAsTool).toBe(true);
		const operation = properties.find((property) => property.name === 'operation');
		expect((operation?.options as Array<{ action: string }>).map((option) => option.action)).toEqual(['Invoke a function', 'List functions']);
	});
});
