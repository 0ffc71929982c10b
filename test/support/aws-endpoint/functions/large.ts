import type { Handler } from './runtime';

/** Returns a JSON string of `event.bytes` characters (the body is that string, quoted). */
export const handler: Handler = (event) => 'x'.repeat(Number((event as { bytes?: number } | null)?.bytes ?? 1024));
