import type { Handler } from './runtime';

/** Logs about 8 KB, so only the tail fits in the 4 KB of X-Amz-Log-Result. */
export const handler: Handler = (_event, context) => {
	for (let line = 1; line <= 200; line++) context.log(`line ${String(line).padStart(3, '0')}: ${'-'.repeat(30)}`);
	return { lines: 200 };
};
