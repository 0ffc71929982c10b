/** What the Lambda runtime does around one handler call, shared by Invoke and InvokeWithResponseStream. */
import { randomUUID } from 'node:crypto';

import type { FunctionDefinition } from './functions';
import type { HandlerContext } from './functions/runtime';
import { HandledError, RawBody, StreamBody } from './functions/runtime';

const LOG_TAIL_BYTES = 4096;
/** Invoke's response limit; a larger buffered response is a function error, as on AWS. */
const SYNC_RESPONSE_LIMIT = 6 * 1024 * 1024;

export type RunContext = Omit<HandlerContext, 'log' | 'awsRequestId'>;

export interface HandlerRun {
	context: HandlerContext;
	/** The last 4 KB of the run's log (START … REPORT), base64, as X-Amz-Log-Result carries it. */
	logTail(): string;
}

export function startRun(fn: FunctionDefinition, context: RunContext): HandlerRun {
	const requestId = randomUUID();
	const lines: string[] = [];
	const started = performance.now();
	return {
		context: { ...context, awsRequestId: requestId, log: (line) => lines.push(line) },
		logTail() {
			const duration = (performance.now() - started).toFixed(2);
			const log = Buffer.from(
				`START RequestId: ${requestId} Version: ${context.functionVersion}\n${lines.map((line) => `${line}\n`).join('')}END RequestId: ${requestId}\nREPORT RequestId: ${requestId}\tDuration: ${duration} ms\tBilled Duration: ${Math.ceil(Number(duration))} ms\tMemory Size: ${fn.memorySize} MB\tMax Memory Used: 64 MB\t\n`,
			);
			return log.subarray(Math.max(0, log.length - LOG_TAIL_BYTES)).toString('base64');
		},
	};
}

/** The runtime's JSON for a thrown error: `{errorMessage, errorType, stackTrace}`. */
export function errorDocument(error: unknown): string {
	const err = error as Error & { errorType?: string };
	return JSON.stringify({
		errorMessage: err.message,
		errorType: err.errorType ?? err.name,
		stackTrace: (err.stack ?? '').split('\n').slice(1).map((line) => line.trim()),
	});
}

export const functionErrorKind = (error: unknown) => (error instanceof HandledError ? 'Handled' : 'Unhandled');

/** The bytes Invoke returns for a handler's result; a streamed result is collected up to Invoke's limit. */
export async function bufferedResult(result: unknown): Promise<Buffer> {
	if (result instanceof RawBody) return result.bytes;
	if (result instanceof StreamBody) return await collectWithinLimit(result);
	return Buffer.from(JSON.stringify(result ?? null), 'utf8');
}

async function collectWithinLimit(body: StreamBody): Promise<Buffer> {
	const chunks: Buffer[] = [];
	let total = 0;
	for await (const chunk of body.chunks) {
		total += chunk.length;
		if (total > SYNC_RESPONSE_LIMIT) throw Object.assign(new Error(`Response payload size exceeded maximum allowed payload size (${SYNC_RESPONSE_LIMIT} bytes).`), { errorType: 'Function.ResponseSizeTooLarge' });
		chunks.push(chunk);
	}
	return Buffer.concat(chunks);
}
