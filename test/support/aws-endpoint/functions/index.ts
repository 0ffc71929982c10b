import type { Handler } from './runtime';
import { handler as badJson } from './bad-json';
import { handler as binary } from './binary';
import { handler as chatty } from './chatty';
import { handler as echo } from './echo';
import { handler as empty } from './empty';
import { handler as fail } from './fail';
import { handler as handledFail } from './handled-fail';
import { handler as large } from './large';
import { handler as slow } from './slow';
import { handler as streamChunks } from './stream-chunks';
import { handler as streamCsv } from './stream-csv';
import { handler as streamFail } from './stream-fail';
import { handler as streamLarge } from './stream-large';
import { tenantIsolatedHandler } from './tenant-isolated';
import { handler as text } from './text';

export type FunctionState = 'Active' | 'Pending' | 'Inactive' | 'Failed';

export interface FunctionDefinition {
	name: string;
	handler: Handler;
	/** Published versions, oldest first. */
	versions: string[];
	aliases: Record<string, string>;
	state: FunctionState;
	description: string;
	memorySize: number;
	/** Created with a tenancy configuration: every call needs a Tenant ID and runs in that tenant's environment. */
	tenantIsolated?: boolean;
}

const fixture = (name: string, handler: Handler, extra: Partial<FunctionDefinition> = {}): FunctionDefinition => ({
	name,
	handler,
	versions: [],
	aliases: {},
	state: 'Active',
	description: `${name} fixture`,
	memorySize: 128,
	...extra,
});

export function fixtureFunctions(generatedCount: number): FunctionDefinition[] {
	const fixtures = [
		fixture('echo', echo, { versions: ['1', '2'], aliases: { live: '2' }, description: 'Returns its event' }),
		fixture('fail', fail),
		fixture('handled-fail', handledFail),
		fixture('slow', slow),
		fixture('large', large, { memorySize: 1024 }),
		fixture('text', text),
		fixture('binary', binary),
		fixture('empty', empty),
		fixture('bad-json', badJson),
		fixture('chatty', chatty),
		fixture('pending-fn', echo, { state: 'Pending' }),
		fixture('stream-chunks', streamChunks, { description: 'Streams lines with delays between them' }),
		fixture('stream-large', streamLarge, { memorySize: 2048, description: 'Streams up to 200 MB of deterministic bytes' }),
		fixture('stream-fail', streamFail),
		fixture('stream-csv', streamCsv),
		fixture('tenant-isolated', tenantIsolatedHandler(), { tenantIsolated: true, versions: ['1'] }),
	];
	const generated = Array.from({ length: generatedCount }, (_, i) =>
		fixture(`fn-${String(i).padStart(5, '0')}`, echo, { description: 'Generated' }),
	);
	return [...fixtures, ...generated].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
