import type { Handler } from './runtime';
import { HandledError, StreamBody } from './runtime';

/** Streams `chunks` parts, then fails: the error reaches the client only in the stream's final event. */
export const handler: Handler = (event) => {
	const parts = Number((event as { chunks?: number } | null)?.chunks ?? 3);
	async function* partsThenFailure() {
		for (let i = 0; i < parts; i++) yield Buffer.from(`part ${i}\n`);
		throw new HandledError(`upstream went away after ${parts} parts`, 'StreamBroken');
	}
	return new StreamBody(partsThenFailure());
};
