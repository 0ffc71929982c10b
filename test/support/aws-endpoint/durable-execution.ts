import { randomBytes } from 'node:crypto';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'STOPPED';

/** AWS's ErrorObject: what a failed execution, a stop or a failed callback carries. */
export interface ErrorObject {
	ErrorType?: string;
	ErrorMessage?: string;
	ErrorData?: string;
	StackTrace?: string[];
}

export interface CallbackOptions {
	timeoutSeconds?: number;
	heartbeatTimeoutSeconds?: number;
}

/** The part of the durable execution SDK a fixture function uses: checkpointed steps, waits and callbacks. */
export interface DurableContext {
	executionArn: string;
	step<T>(name: string, run: () => T | Promise<T>): Promise<T>;
	wait(name: string, seconds: number): Promise<void>;
	/** Resolves with the callback's result text; a failed or timed-out callback throws a CallbackError. */
	waitForCallback(name: string, submit: (callbackId: string) => Promise<void>, options?: CallbackOptions): Promise<string | undefined>;
}

export type DurableHandler = (event: unknown, context: DurableContext) => Promise<unknown>;

/** What the durable SDK raises inside the function when its callback failed or timed out. */
export class CallbackError extends Error {
	constructor(readonly error: ErrorObject) {
		super(error.ErrorMessage ?? 'Callback failed');
		this.name = error.ErrorType ?? 'CallbackError';
	}
}

/** The execution ended from outside (stop, timeout): whatever the handler still awaits is abandoned. */
class ExecutionEnded extends Error {}

/** Real seconds are too slow for tests: every duration is scaled by this many milliseconds per second. */
export interface DurableClock {
	msPerSecond: number;
}

export type CallbackState = 'STARTED' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';

export class Callback {
	state: CallbackState = 'STARTED';
	readonly id = randomBytes(48).toString('base64');
	heartbeats = 0;
	private heartbeatTimer?: NodeJS.Timeout;

	constructor(
		readonly execution: DurableExecution,
		private readonly settle: (outcome: { result?: string; error?: ErrorObject; timedOut?: boolean }) => void,
		private readonly heartbeatTimeoutSeconds: number | undefined,
	) {
		this.armHeartbeat();
	}

	get open(): boolean {
		return this.state === 'STARTED' && this.execution.status === 'RUNNING';
	}

	succeed(result: string | undefined): void {
		this.close('SUCCEEDED');
		this.settle({ result });
	}

	fail(error: ErrorObject): void {
		this.close('FAILED');
		this.settle({ error });
	}

	heartbeat(): void {
		this.heartbeats++;
		this.armHeartbeat();
	}

	timeOut(kind: 'heartbeat' | 'timeout'): void {
		if (!this.open) return;
		this.close('TIMED_OUT');
		this.settle({ timedOut: true, error: { ErrorType: 'Callback.Timeout', ErrorMessage: `Callback timed out (${kind}).` } });
	}

	close(state: CallbackState): void {
		this.state = state;
		clearTimeout(this.heartbeatTimer);
	}

	private armHeartbeat(): void {
		if (this.heartbeatTimeoutSeconds === undefined) return;
		clearTimeout(this.heartbeatTimer);
		this.heartbeatTimer = this.execution.after(this.heartbeatTimeoutSeconds, () => this.timeOut('heartbeat'));
	}
}

type EventDetails = Record<string, unknown>;

export interface HistoryEvent {
	EventType: string;
	SubType?: string;
	EventId: number;
	Id?: string;
	Name?: string;
	EventTimestamp: number;
	[details: string]: unknown;
}

export interface ExecutionSetup {
	arn: string;
	name: string;
	functionArn: string;
	version: string;
	input: string;
	executionTimeoutSeconds: number;
	clock: DurableClock;
	registerCallback(callback: Callback): void;
}

const epochSeconds = (ms: number) => ms / 1000;

/**
 * One durable execution, run in-process: the handler's steps, waits and callbacks are recorded as
 * AWS's history events, and a stop or the ExecutionTimeout abandons whatever the handler awaits.
 */
export class DurableExecution {
	status: ExecutionStatus = 'RUNNING';
	readonly startedAt = Date.now();
	endedAt?: number;
	result?: string;
	error?: ErrorObject;
	readonly events: HistoryEvent[] = [];
	readonly arn: string;
	readonly name: string;
	readonly functionArn: string;
	readonly version: string;
	readonly input: string;
	readonly executionTimeoutSeconds: number;
	private readonly timers = new Set<NodeJS.Timeout>();
	private readonly abandon = new Set<(error: Error) => void>();
	private readonly ended: Promise<void>;
	private markEnded!: () => void;
	private operations = 0;

	constructor(private readonly setup: ExecutionSetup) {
		({ arn: this.arn, name: this.name, functionArn: this.functionArn, version: this.version, input: this.input } = setup);
		this.executionTimeoutSeconds = setup.executionTimeoutSeconds;
		this.ended = new Promise((resolve) => (this.markEnded = resolve));
	}

	start(handler: DurableHandler, event: unknown): void {
		this.record('ExecutionStarted', undefined, {
			ExecutionStartedDetails: { Input: { Payload: this.input, Truncated: false }, ExecutionTimeout: this.executionTimeoutSeconds },
		});
		this.after(this.executionTimeoutSeconds, () =>
			this.end('TIMED_OUT', { error: { ErrorType: 'Execution.TimedOut', ErrorMessage: `Execution exceeded its ExecutionTimeout of ${this.executionTimeoutSeconds} seconds.` } }),
		);
		handler(event, this.context()).then(
			(result) => this.end('SUCCEEDED', { result: JSON.stringify(result ?? null) }),
			(error: unknown) => {
				if (!(error instanceof ExecutionEnded)) this.end('FAILED', { error: errorObject(error) });
			},
		);
	}

	/** Resolves once the execution reached a terminal status. */
	async whenEnded(): Promise<void> {
		await this.ended;
	}

	stop(error: ErrorObject | undefined): void {
		this.end('STOPPED', { error });
	}

	/** A timer on the execution's clock, cleared when the execution ends. */
	after(seconds: number, run: () => void): NodeJS.Timeout {
		const timer = setTimeout(() => {
			this.timers.delete(timer);
			run();
		}, seconds * this.setup.clock.msPerSecond);
		// An execution waiting for days must not keep a test run or the demo's process alive.
		timer.unref();
		this.timers.add(timer);
		return timer;
	}

	private end(status: Exclude<ExecutionStatus, 'RUNNING'>, outcome: { result?: string; error?: ErrorObject }): void {
		if (this.status !== 'RUNNING') return;
		this.status = status;
		this.endedAt = Date.now();
		this.result = outcome.result;
		this.error = outcome.error;
		const detailsName = `Execution${status === 'TIMED_OUT' ? 'TimedOut' : status.charAt(0) + status.slice(1).toLowerCase()}`;
		const details = outcome.result !== undefined ? { Result: { Payload: outcome.result, Truncated: false } } : { Error: { Payload: outcome.error ?? {}, Truncated: false } };
		this.record(detailsName, undefined, { [`${detailsName}Details`]: details });
		for (const timer of this.timers) clearTimeout(timer);
		this.timers.clear();
		for (const reject of this.abandon) reject(new ExecutionEnded());
		this.markEnded();
	}

	private context(): DurableContext {
		return {
			executionArn: this.arn,
			step: async (name, run) => await this.step(name, run),
			wait: async (name, seconds) => await this.wait(name, seconds),
			waitForCallback: async (name, submit, options) => await this.waitForCallback(name, submit, options ?? {}),
		};
	}

	private async step<T>(name: string, run: () => T | Promise<T>): Promise<T> {
		const operation = this.operation(name, 'Step');
		this.record('StepStarted', operation, { StepStartedDetails: {} });
		try {
			const result = await this.whileRunning(Promise.resolve(run()));
			this.record('StepSucceeded', operation, { StepSucceededDetails: { Result: { Payload: JSON.stringify(result ?? null), Truncated: false }, RetryDetails: { CurrentAttempt: 1 } } });
			return result;
		} catch (error) {
			if (!(error instanceof ExecutionEnded)) {
				this.record('StepFailed', operation, { StepFailedDetails: { Error: { Payload: errorObject(error), Truncated: false }, RetryDetails: { CurrentAttempt: 1 } } });
			}
			throw error;
		}
	}

	private async wait(name: string, seconds: number): Promise<void> {
		const operation = this.operation(name, 'Wait');
		this.record('WaitStarted', operation, { WaitStartedDetails: { Duration: seconds, ScheduledEndTimestamp: epochSeconds(Date.now() + seconds * 1000) } });
		await this.whileRunning(new Promise<void>((resolve) => this.after(seconds, resolve)));
		this.record('WaitSucceeded', operation, { WaitSucceededDetails: { Duration: seconds } });
	}

	private async waitForCallback(name: string, submit: (callbackId: string) => Promise<void>, options: CallbackOptions): Promise<string | undefined> {
		const operation = this.operation(name, 'Callback');
		let settle!: (outcome: { result?: string; error?: ErrorObject; timedOut?: boolean }) => void;
		const settled = new Promise<{ result?: string; error?: ErrorObject; timedOut?: boolean }>((resolve) => (settle = resolve));
		const callback = new Callback(this, settle, options.heartbeatTimeoutSeconds);
		this.setup.registerCallback(callback);
		this.record('CallbackStarted', operation, {
			CallbackStartedDetails: { CallbackId: callback.id, HeartbeatTimeout: options.heartbeatTimeoutSeconds, Timeout: options.timeoutSeconds },
		});
		if (options.timeoutSeconds !== undefined) this.after(options.timeoutSeconds, () => callback.timeOut('timeout'));
		await this.whileRunning(submit(callback.id));
		const outcome = await this.whileRunning(settled);
		if (outcome.error === undefined) {
			this.record('CallbackSucceeded', operation, { CallbackSucceededDetails: { Result: { Payload: outcome.result ?? '', Truncated: false } } });
			return outcome.result;
		}
		const eventType = outcome.timedOut ? 'CallbackTimedOut' : 'CallbackFailed';
		this.record(eventType, operation, { [`${eventType}Details`]: { Error: { Payload: outcome.error, Truncated: false } } });
		throw new CallbackError(outcome.error);
	}

	/** Rejects with ExecutionEnded as soon as the execution ends, so the handler never goes on after a stop. */
	private async whileRunning<T>(work: Promise<T>): Promise<T> {
		if (this.status !== 'RUNNING') throw new ExecutionEnded();
		let reject!: (error: Error) => void;
		const ended = new Promise<never>((_, fail) => (reject = fail));
		this.abandon.add(reject);
		try {
			return await Promise.race([work, ended]);
		} finally {
			this.abandon.delete(reject);
		}
	}

	private operation(name: string, subType: string): { Id: string; Name: string; SubType: string } {
		this.operations++;
		return { Id: `op-${this.operations}`, Name: name, SubType: subType };
	}

	private record(eventType: string, operation: { Id: string; Name: string; SubType: string } | undefined, details: EventDetails): void {
		this.events.push({ EventType: eventType, EventId: this.events.length + 1, EventTimestamp: epochSeconds(Date.now()), ...operation, ...details });
	}
}

function errorObject(error: unknown): ErrorObject {
	if (error instanceof CallbackError) return error.error;
	const err = error as Error & { errorType?: string };
	return {
		ErrorType: err.errorType ?? err.name ?? 'Error',
		ErrorMessage: err.message ?? String(error),
		StackTrace: (err.stack ?? '').split('\n').slice(1).map((line) => line.trim()),
	};
}
