import type { Handler } from './runtime';

export const handler: Handler = (event) => {
	throw new TypeError(`boom: ${JSON.stringify(event)}`);
};
