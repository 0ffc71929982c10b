import type { Handler } from './runtime';
import { StreamBody, sleep } from './runtime';

/** Streams `chunks` lines with `delayMs` between them, as a function writing progress would. */
export const handler: Handler = (event, context) => {
	const { chunks = 20, delayMs = 10 } = (event ?? {}) as { chunks?: number; delayMs?: number };
	async function* lines() {
		for (let i = 0; i < chunks; i++) {
			if (i > 0) await sleep(delayMs);
			yield Buffer.from(`chunk ${i}\n`);
		}
		context.log(`streamed ${chunks} chunks`);
	}
	return new StreamBody(lines());
};
