/** What a fixture handler receives besides its event, like the Node.js Lambda runtime's context. */
export interface HandlerContext {
	functionName: string;
	functionVersion: string;
	invokedFunctionArn: string;
	awsRequestId: string;
	clientContext?: unknown;
	/** The `X-Amz-Tenant-Id` of the call, for a function with tenant isolation. */
	tenantId?: string;
	/** A line for the execution log (returned base64 in X-Amz-Log-Result with LogType Tail). */
	log(line: string): void;
}

export type Handler = (event: unknown, context: HandlerContext) => unknown;

/** A response body sent as these exact bytes instead of the JSON of the handler's result. */
export class RawBody {
	constructor(readonly bytes: Buffer) {}
}

/**
 * A streamed response (a handler written for InvokeWithResponseStream): each chunk is sent as it
 * is produced; an error thrown while iterating is reported after the chunks already sent.
 */
export class StreamBody {
	constructor(
		readonly chunks: AsyncIterable<Buffer>,
		readonly contentType = 'application/octet-stream',
	) {}
}

/** Thrown by a handler to report a `Handled` function error (an Unhandled one is any other throw). */
export class HandledError extends Error {
	constructor(
		message: string,
		readonly errorType = 'HandledError',
	) {
		super(message);
	}
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
