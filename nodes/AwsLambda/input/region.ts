import type { IExecuteFunctions, INode } from 'n8n-workflow';

import { inputError } from './errors';

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;

export function isRegionCode(value: string): boolean {
	return REGION.test(value);
}

export function assertRegion(node: INode, itemIndex: number, region: unknown): string {
	const value = typeof region === 'string' ? region.trim() : '';
	if (!isRegionCode(value)) {
		throw inputError(
			node,
			itemIndex,
			'AWS Region',
			`"${String(region)}" is not an AWS Region`,
			'Use a Region code such as us-east-1, eu-west-1 or ap-southeast-2.',
		);
	}
	return value;
}

export function regionForItem(execute: IExecuteFunctions, itemIndex: number): string {
	return assertRegion(execute.getNode(), itemIndex, execute.getNodeParameter('region', itemIndex));
}
