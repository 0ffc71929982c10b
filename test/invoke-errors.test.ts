/**
 * Every error the pinned SDK's API model lists for Invoke and InvokeWithResponseStream gets a message
 * that says what to do, not the generic fallback: a new SDK with a new error fails this test.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import * as lambdaSdk from '@aws-sdk/client-lambda';
import type { INode } from 'n8n-workflow';

import { toNodeApiError } from '../nodes/AwsLambda/transport/errors';

const GENERIC_FIX = 'See the AWS Lambda API reference for this error.';
const commandsDir = join(dirname(require.resolve('@aws-sdk/client-lambda/package.json')), 'dist-types', 'commands');

/** The `@throws` list of a command's documentation, as generated from the API model. */
function modelledErrors(command: string): string[] {
	const text = readFileSync(join(commandsDir, `${command}.d.ts`), 'utf8');
	const names = Array.from(text.matchAll(/@throws \{@link (\w+)\}/g), (match) => match[1]);
	return names.filter((name) => name !== 'LambdaServiceException');
}

const invokeErrors = Array.from(new Set([...modelledErrors('InvokeCommand'), ...modelledErrors('InvokeWithResponseStreamCommand')])).sort();

const node: INode = { id: 'n', name: 'Lambda', type: 'awsLambda', typeVersion: 1, position: [0, 0], parameters: {} };

function explain(name: string, message = 'what AWS said') {
	const ErrorClass = (lambdaSdk as unknown as Record<string, new (options: object) => Error>)[name];
	const error = new ErrorClass({ message, $metadata: { httpStatusCode: 400, attempts: 1 } });
	return toNodeApiError(error, { node, itemIndex: 0, action: 'Invoke my-function', region: 'us-east-1', secrets: [] });
}

describe('Invoke errors of the pinned API model', () => {
	it('reads the model: both commands list their errors, with the ones the issue names', () => {
		expect(invokeErrors.length).toBeGreaterThan(30);
		expect(invokeErrors).toEqual(
			expect.arrayContaining(['ModeNotSupportedException', 'SerializedRequestEntityTooLargeException', 'NoPublishedVersionException', 'ServiceQuotaExceededException', 'S3FilesMountFailureException', 'ENILimitReachedException']),
		);
	});

	it.each(invokeErrors)('%s is an exported SDK class with its own explanation', (name) => {
		expect(typeof (lambdaSdk as Record<string, unknown>)[name]).toBe('function');
		const error = explain(name);
		expect(error.description).not.toContain(GENERIC_FIX);
		expect(error.message).not.toMatch(new RegExp(`failed \\(item 0\\): ${name}:`));
		// A problem and a fix that say something: at least a few words each.
		expect(error.message).toMatch(/^Invoke my-function failed \(item 0\): \S+( \S+){3}/);
		expect(error.description).toMatch(/^\S+( \S+){5}/);
	});

	it('gives each error its own problem, except the pairs that mean the same', () => {
		const namesByMessage = new Map<string, string[]>();
		for (const name of invokeErrors) {
			const { message } = explain(name);
			namesByMessage.set(message, [...(namesByMessage.get(message) ?? []), name]);
		}
		const shared = [...namesByMessage.values()].filter((names) => names.length > 1);
		expect(shared).toEqual([
			['RequestTooLargeException', 'SerializedRequestEntityTooLargeException'],
			['ResourceConflictException', 'ResourceNotReadyException'],
		]);
	});

	it('tells the two tenancy mistakes apart', () => {
		const missing = explain('InvalidParameterValueException', 'The invoked function has tenant isolation enabled. Add a tenant ID to the request (X-Amz-Tenant-Id) and try again.');
		const needless = explain('InvalidParameterValueException', 'The invoked function does not have tenant isolation enabled. Remove the tenant ID from the request and try again.');
		expect([missing.message, missing.description]).toEqual([expect.stringMatching(/has tenant isolation/), expect.stringMatching(/Set the option Tenant ID/)]);
		expect([needless.message, needless.description]).toEqual([expect.stringMatching(/does not have tenant isolation/), expect.stringMatching(/Remove the Tenant ID/)]);
	});
});
