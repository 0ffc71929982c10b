import type { INode } from 'n8n-workflow';

import { inputError } from './errors';
import { LIMITS } from './limits';
import { isRegionCode } from './region';

const NAME = '[a-zA-Z0-9_-]+';
const QUALIFIER = '\\$LATEST(?:\\.PUBLISHED)?|[a-zA-Z0-9_-]+';
const PLAIN_NAME = new RegExp(`^(${NAME})(?::(${QUALIFIER}))?$`);
const PARTIAL_ARN = new RegExp(`^(\\d{12}):function:(${NAME})(?::(${QUALIFIER}))?$`);
const FULL_ARN = new RegExp(
	`^arn:(aws[a-zA-Z-]*):lambda:([a-z0-9-]+):(\\d{12}):function:(${NAME})(?::(${QUALIFIER}))?$`,
);


export interface FunctionReference {
	/** What goes into the request path: the name, partial ARN or full ARN, without a qualifier. */
	functionName: string;
	qualifier?: string;
	/** Set only for a full ARN: the Region the function lives in, which wins over the node's Region. */
	region?: string;
	display: string;
}

export type FunctionReferenceMode = 'list' | 'name' | 'arn';

/**
 * Accepts exactly the forms the Invoke API documents: `name`, `name:qualifier`,
 * `123456789012:function:name[:qualifier]` and `arn:PARTITION:lambda:REGION:ACCOUNT:function:name[:qualifier]`.
 */
export function parseFunctionReference(
	node: INode,
	itemIndex: number,
	raw: unknown,
	mode: FunctionReferenceMode,
): FunctionReference {
	const value = typeof raw === 'string' ? raw.trim() : '';
	const fail = (problem: string, fix: string) =>
		inputError(node, itemIndex, 'Function Name or ARN', problem, fix);
	if (value === '') {
		throw fail('no function given', 'Pick a function from the list, or enter its name or ARN.');
	}
	if (value.length > LIMITS.functionReferenceChars) {
		throw fail(
			`${value.length} characters is longer than AWS allows (${LIMITS.functionReferenceChars})`,
			'Enter the function name (at most 64 characters) or its ARN.',
		);
	}
	const reference = value.startsWith('arn:')
		? matchFullArn(value)
		: /^\d{12}:/.test(value)
			? matchPartialArn(value)
			: mode === 'arn'
				? undefined
				: matchPlainName(value);
	if (!reference) {
		throw mode === 'arn'
			? fail(
					`"${value}" is not a Lambda function ARN`,
					'Use arn:aws:lambda:REGION:ACCOUNT_ID:function:NAME (optionally :ALIAS or :VERSION), or ACCOUNT_ID:function:NAME.',
				)
			: fail(
					`"${value}" is not a valid function name`,
					'A function name has 1 to 64 letters, digits, hyphens or underscores, optionally followed by :ALIAS or :VERSION (my-function:live). You can also paste the function ARN.',
				);
	}
	const name = reference.functionName.split(':').pop() ?? '';
	if (name.length > LIMITS.functionNameChars) {
		throw fail(
			`the name "${name}" has ${name.length} characters; AWS allows at most ${LIMITS.functionNameChars}`,
			'Check for a pasted value that is not a function name.',
		);
	}
	if (reference.qualifier && reference.qualifier.length > LIMITS.qualifierChars) {
		throw fail(
			`the version or alias has more than ${LIMITS.qualifierChars} characters`,
			'Use a published version number or an alias name.',
		);
	}
	return reference;
}

function matchFullArn(value: string): FunctionReference | undefined {
	const match = FULL_ARN.exec(value);
	if (!match || !isRegionCode(match[2])) return undefined;
	const [, partition, region, account, name, qualifier] = match;
	return {
		functionName: `arn:${partition}:lambda:${region}:${account}:function:${name}`,
		qualifier,
		region,
		display: value,
	};
}

function matchPartialArn(value: string): FunctionReference | undefined {
	const match = PARTIAL_ARN.exec(value);
	if (!match) return undefined;
	const [, account, name, qualifier] = match;
	return { functionName: `${account}:function:${name}`, qualifier, display: value };
}

function matchPlainName(value: string): FunctionReference | undefined {
	const match = PLAIN_NAME.exec(value);
	if (!match) return undefined;
	const [, name, qualifier] = match;
	return { functionName: name, qualifier, display: value };
}
