import type { Handler } from './runtime';
import { HandledError } from './runtime';

export const handler: Handler = () => {
	throw new HandledError('the order was rejected', 'OrderRejected');
};
