import type { Handler } from './runtime';
import { RawBody } from './runtime';

export const handler: Handler = () => new RawBody(Buffer.from('hello, plain text', 'utf8'));
