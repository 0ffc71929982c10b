export interface FaultMatch {
	service?: 'lambda' | 'sts';
	action?: string;
	functionName?: string;
	/** Only a call's first attempt (as the SDK numbers it), so that its retry gets through. */
	firstAttemptOnly?: boolean;
}

export type FaultKind = 'throttle' | 'serverError' | 'resetConnection' | 'hang' | 'stsMalformed' | 'announceLength' | 'invalidSignature' | 'dropStream' | 'gatewayError' | 'revealCallerToken';

/** How far a reply gets before the connection drops, for a reset after the function ran. */
export type ResetStage = 'beforeHeaders' | 'afterHeaders' | 'midBody';

export interface PendingFault {
	kind: FaultKind;
	remaining: number;
	match?: FaultMatch;
	retryAfterSeconds?: number;
	status?: number;
	errorType?: string;
	afterFunctionRuns?: boolean;
	stage?: ResetStage;
	bytes?: number;
	afterBytes?: number;
	html?: boolean;
	json?: boolean;
	requestId?: boolean;
	stsShape?: 'truncated' | 'withoutCredentials';
}

export interface GatewayAnswer {
	status?: number;
	html?: boolean;
	/** A JSON body with the status as its numeric `code`, as many gateways answer (the SDK then names the error by it). */
	json?: boolean;
	/** An `x-amzn-ErrorType` the proxy sets, without a request id. */
	errorType?: string;
	/** An `x-amzn-RequestId` the proxy sets (or passes on), without an error type. */
	requestId?: boolean;
	match?: FaultMatch;
}

export interface Faults {
	throttle(count: number, opts?: { retryAfterSeconds?: number; match?: FaultMatch }): void;
	serverError(count: number, opts?: { status?: number; errorType?: string; match?: FaultMatch }): void;
	/**
	 * Drops the connection. With `afterFunctionRuns` the function runs first and the drop happens at
	 * `stage` of the reply (default `afterHeaders`: status line and headers reach the client).
	 */
	resetConnection(count: number, opts?: { afterFunctionRuns?: boolean; stage?: ResetStage; match?: FaultMatch }): void;
	/** Accepts the request and never answers (Lambda by default; `{ service: 'sts' }` for STS). */
	hang(count: number, opts?: { match?: FaultMatch }): void;
	/** A 200 Invoke reply announcing `bytes` of body, sending a few, then holding the connection open. */
	announceLength(count: number, opts: { bytes: number; match?: FaultMatch }): void;
	/** Drops a response stream's connection once `afterBytes` of payload were sent (the function ran). */
	dropStream(count: number, opts: { afterBytes: number; match?: FaultMatch }): void;
	/**
	 * Answers as a proxy or gateway between the client and AWS would, after the function ran: `status`
	 * (default 504) with an empty or an HTML body, no `x-amzn-ErrorType` and no AWS request id, unless
	 * the proxy is told to add one of them (`errorType`, `requestId`).
	 */
	gatewayError(count: number, opts?: GatewayAnswer): void;
	/**
	 * Adds the session token that signed an Invoke to the function's JSON answer (`callerSessionToken`),
	 * as a function handing back what it was called with would: a secret the node knows only once issued.
	 */
	revealCallerToken(count: number, opts?: { match?: FaultMatch }): void;
	/** Refuses the signature as AWS does, quoting the canonical request and string to sign received. */
	invalidSignature(count: number, opts?: { match?: FaultMatch }): void;
	delay(ms: number): void;
	stsMalformed(count: number, shape?: 'truncated' | 'withoutCredentials'): void;
	stsExpirySeconds(seconds: number | undefined): void;
	expireSessions(): void;
	/** Expires every temporary key once `count` more requests have passed the signature check. */
	expireSessionsAfter(count: number): void;
	reset(): void;
}

/**
 * Count-based fault knobs: each matching request consumes one unit of the first pending fault it
 * matches, in the order the faults were set, so tests are deterministic.
 */
export class FaultKnobs implements Faults {
	private pending: PendingFault[] = [];
	private signedRequestsBeforeExpiry: number | undefined;
	delayMs = 0;
	expirySeconds: number | undefined;

	constructor(private readonly onExpireSessions: () => void) {}

	throttle(count: number, opts: { retryAfterSeconds?: number; match?: FaultMatch } = {}): void {
		this.pending.push({ kind: 'throttle', remaining: count, ...opts });
	}

	serverError(count: number, opts: { status?: number; errorType?: string; match?: FaultMatch } = {}): void {
		this.pending.push({ kind: 'serverError', remaining: count, ...opts });
	}

	resetConnection(count: number, opts: { afterFunctionRuns?: boolean; stage?: ResetStage; match?: FaultMatch } = {}): void {
		this.pending.push({ kind: 'resetConnection', remaining: count, ...opts });
	}

	hang(count: number, opts: { match?: FaultMatch } = {}): void {
		this.pending.push({ kind: 'hang', remaining: count, ...opts });
	}

	announceLength(count: number, opts: { bytes: number; match?: FaultMatch }): void {
		this.pending.push({ kind: 'announceLength', remaining: count, match: { action: 'Invoke', ...opts.match }, bytes: opts.bytes });
	}

	dropStream(count: number, opts: { afterBytes: number; match?: FaultMatch }): void {
		this.pending.push({ kind: 'dropStream', remaining: count, match: { action: 'InvokeWithResponseStream', ...opts.match }, afterBytes: opts.afterBytes });
	}

	gatewayError(count: number, opts: GatewayAnswer = {}): void {
		this.pending.push({ kind: 'gatewayError', remaining: count, ...opts });
	}

	revealCallerToken(count: number, opts: { match?: FaultMatch } = {}): void {
		this.pending.push({ kind: 'revealCallerToken', remaining: count, match: { action: 'Invoke', ...opts.match } });
	}

	invalidSignature(count: number, opts: { match?: FaultMatch } = {}): void {
		this.pending.push({ kind: 'invalidSignature', remaining: count, ...opts });
	}

	delay(ms: number): void {
		this.delayMs = ms;
	}

	stsMalformed(count: number, shape: 'truncated' | 'withoutCredentials' = 'truncated'): void {
		this.pending.push({ kind: 'stsMalformed', remaining: count, match: { service: 'sts' }, stsShape: shape });
	}

	stsExpirySeconds(seconds: number | undefined): void {
		this.expirySeconds = seconds;
	}

	expireSessions(): void {
		this.onExpireSessions();
	}

	expireSessionsAfter(count: number): void {
		if (count <= 0) return this.onExpireSessions();
		this.signedRequestsBeforeExpiry = count;
	}

	reset(): void {
		this.pending = [];
		this.signedRequestsBeforeExpiry = undefined;
		this.delayMs = 0;
		this.expirySeconds = undefined;
	}

	/** Counts a request that passed the signature check, for `expireSessionsAfter`. */
	signaturePassed(): void {
		if (this.signedRequestsBeforeExpiry === undefined) return;
		this.signedRequestsBeforeExpiry--;
		if (this.signedRequestsBeforeExpiry > 0) return;
		this.signedRequestsBeforeExpiry = undefined;
		this.onExpireSessions();
	}

	/** The fault this request gets, if any; consumes one unit of it. */
	take(request: { service: string; action: string; functionName?: string; attempt?: number }): PendingFault | undefined {
		const fault = this.pending.find((candidate) => candidate.remaining > 0 && matches(candidate, request));
		if (fault) fault.remaining--;
		return fault;
	}
}

function matches(fault: PendingFault, request: { service: string; action: string; functionName?: string; attempt?: number }): boolean {
	const match: FaultMatch = fault.match ?? (fault.kind === 'stsMalformed' ? { service: 'sts' } : { service: 'lambda' });
	return (
		(match.service === undefined || match.service === request.service) &&
		(match.action === undefined || match.action === request.action) &&
		(match.functionName === undefined || match.functionName === request.functionName) &&
		(!match.firstAttemptOnly || request.attempt === 1)
	);
}
