import type { Handler } from './runtime';
import { sleep } from './runtime';

export const handler: Handler = async (event) => {
	const ms = Number((event as { ms?: number } | null)?.ms ?? 20);
	await sleep(ms);
	return { sleptMs: ms };
};
