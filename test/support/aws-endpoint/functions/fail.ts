import type { Handler } from './runtime';

/** Prints the event it received in its log and its error, as careless functions do. */
export const handler: Handler = (event, context) => {
	context.log(`received ${JSON.stringify(event)}`);
	throw new TypeError(`boom: ${JSON.stringify(event)}`);
};
