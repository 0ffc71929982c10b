import type { Handler } from './runtime';
import { HandledError, StreamBody } from './runtime';

/**
 * Streams `chunks` parts, then fails with `errorType`: the error reaches the client only in the
 * stream's final event.
 */
export const handler: Handler = (event) => {
	const { chunks: parts = 3, errorType = 'StreamBroken' } = (event ?? {}) as { chunks?: number; errorType?: string };
	async function* partsThenFailure() {
		for (let i = 0; i < parts; i++) yield Buffer.from(`part ${i}\n`);
		throw new HandledError(`upstream went away after ${parts} parts`, errorType);
	}
	return new StreamBody(partsThenFailure());
};
