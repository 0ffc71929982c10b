import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import type { SendContext } from '../transport/send';

export interface RunContext extends SendContext {
	execute: IExecuteFunctions;
}

/**
 * An operation works in two steps, so every item's input is checked before the first request
 * is sent: `prepare` reads and validates one item's parameters (no network), `run` does the calls.
 */
export interface Operation<Prepared> {
	description: INodeProperties[];
	prepare(execute: IExecuteFunctions, itemIndex: number): Promise<Prepared>;
	run(prepared: Prepared, context: RunContext): Promise<INodeExecutionData[]>;
	/** How many items may be in flight at once. */
	concurrency(execute: IExecuteFunctions): number;
	/** The concurrency when the configured one cannot be read. */
	defaultConcurrency: number;
}
