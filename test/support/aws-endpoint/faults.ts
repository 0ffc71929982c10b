export interface FaultMatch {
	service?: 'lambda' | 'sts';
	action?: string;
	functionName?: string;
}

export type FaultKind = 'throttle' | 'serverError' | 'resetConnection' | 'hang' | 'stsMalformed';

export interface PendingFault {
	kind: FaultKind;
	remaining: number;
	match?: FaultMatch;
	retryAfterSeconds?: number;
	status?: number;
	errorType?: string;
	afterFunctionRuns?: boolean;
}

export interface Faults {
	throttle(count: number, opts?: { retryAfterSeconds?: number; match?: FaultMatch }): void;
	serverError(count: number, opts?: { status?: number; errorType?: string; match?: FaultMatch }): void;
	resetConnection(count: number, opts?: { afterFunctionRuns?: boolean; match?: FaultMatch }): void;
	hang(count: number, opts?: { match?: FaultMatch }): void;
	delay(ms: number): void;
	stsMalformed(count: number): void;
	stsExpirySeconds(seconds: number | undefined): void;
	expireSessions(): void;
	reset(): void;
}

/**
 * Count-based fault knobs: each matching request consumes one unit of the first pending fault it
 * matches, in the order the faults were set, so tests are deterministic.
 */
export class FaultKnobs implements Faults {
	private pending: PendingFault[] = [];
	delayMs = 0;
	expirySeconds: number | undefined;

	constructor(private readonly onExpireSessions: () => void) {}

	throttle(count: number, opts: { retryAfterSeconds?: number; match?: FaultMatch } = {}): void {
		this.pending.push({ kind: 'throttle', remaining: count, ...opts });
	}

	serverError(count: number, opts: { status?: number; errorType?: string; match?: FaultMatch } = {}): void {
		this.pending.push({ kind: 'serverError', remaining: count, ...opts });
	}

	resetConnection(count: number, opts: { afterFunctionRuns?: boolean; match?: FaultMatch } = {}): void {
		this.pending.push({ kind: 'resetConnection', remaining: count, ...opts });
	}

	hang(count: number, opts: { match?: FaultMatch } = {}): void {
		this.pending.push({ kind: 'hang', remaining: count, ...opts });
	}

	delay(ms: number): void {
		this.delayMs = ms;
	}

	stsMalformed(count: number): void {
		this.pending.push({ kind: 'stsMalformed', remaining: count, match: { service: 'sts' } });
	}

	stsExpirySeconds(seconds: number | undefined): void {
		this.expirySeconds = seconds;
	}

	expireSessions(): void {
		this.onExpireSessions();
	}

	reset(): void {
		this.pending = [];
		this.delayMs = 0;
		this.expirySeconds = undefined;
	}

	/** The fault this request gets, if any; consumes one unit of it. */
	take(request: { service: string; action: string; functionName?: string }): PendingFault | undefined {
		const fault = this.pending.find((candidate) => candidate.remaining > 0 && matches(candidate, request));
		if (fault) fault.remaining--;
		return fault;
	}
}

function matches(fault: PendingFault, request: { service: string; action: string; functionName?: string }): boolean {
	const match = fault.match ?? (fault.kind === 'stsMalformed' ? { service: 'sts' as const } : { service: 'lambda' as const });
	return (
		(match.service === undefined || match.service === request.service) &&
		(match.action === undefined || match.action === request.action) &&
		(match.functionName === undefined || match.functionName === request.functionName)
	);
}
