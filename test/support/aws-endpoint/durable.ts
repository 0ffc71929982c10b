/**
 * Lambda durable functions on the local endpoint: Invoke with a durable execution name, and the
 * client APIs of the 2025-12-01 surface (get, list, history, stop, callbacks) with AWS's paths,
 * shapes and errors as the pinned SDK model and the API reference describe them.
 */
import { createHmac, randomUUID } from 'node:crypto';

import type { DurableClock, DurableHandler, ErrorObject, HistoryEvent } from './durable-execution';
import { Callback, DurableExecution } from './durable-execution';
import { handler as approval } from './functions/durable-approval';
import type { InvokeOutcome, InvokeRequest, Reply } from './lambda';
import { ASYNC_PAYLOAD_LIMIT, SYNC_PAYLOAD_LIMIT, lambdaError, parseFunctionName } from './lambda';

export interface DurableFunction {
	name: string;
	handler: DurableHandler;
	versions: string[];
	aliases: Record<string, string>;
	executionTimeoutSeconds: number;
	retentionPeriodInDays: number;
}

export type DurableAction =
	| 'GetDurableExecution'
	| 'GetDurableExecutionHistory'
	| 'StopDurableExecution'
	| 'ListDurableExecutionsByFunction'
	| 'SendDurableExecutionCallbackSuccess'
	| 'SendDurableExecutionCallbackFailure'
	| 'SendDurableExecutionCallbackHeartbeat';

export interface DurableRoute {
	action: DurableAction;
	/** The decoded path parameter: execution ARN, function name or callback ID. */
	target: string;
}

const ROUTES: Array<{ method: string; pattern: RegExp; action: DurableAction }> = [
	{ method: 'GET', pattern: /^\/2025-12-01\/durable-executions\/([^/]+)$/, action: 'GetDurableExecution' },
	{ method: 'GET', pattern: /^\/2025-12-01\/durable-executions\/([^/]+)\/history$/, action: 'GetDurableExecutionHistory' },
	{ method: 'POST', pattern: /^\/2025-12-01\/durable-executions\/([^/]+)\/stop$/, action: 'StopDurableExecution' },
	{ method: 'GET', pattern: /^\/2025-12-01\/functions\/([^/]+)\/durable-executions$/, action: 'ListDurableExecutionsByFunction' },
	{ method: 'POST', pattern: /^\/2025-12-01\/durable-execution-callbacks\/([^/]+)\/succeed$/, action: 'SendDurableExecutionCallbackSuccess' },
	{ method: 'POST', pattern: /^\/2025-12-01\/durable-execution-callbacks\/([^/]+)\/fail$/, action: 'SendDurableExecutionCallbackFailure' },
	{ method: 'POST', pattern: /^\/2025-12-01\/durable-execution-callbacks\/([^/]+)\/heartbeat$/, action: 'SendDurableExecutionCallbackHeartbeat' },
];

export function durableRoute(method: string, rawPath: string): DurableRoute | undefined {
	for (const route of ROUTES) {
		const match = route.method === method ? route.pattern.exec(rawPath) : null;
		if (match) return { action: route.action, target: decodeURIComponent(match[1]) };
	}
	return undefined;
}

export const DURABLE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const EXECUTION_ARN_PATTERN = /^arn:([a-zA-Z0-9-]+):lambda:([a-zA-Z0-9-]+):(\d{12}):function:([a-zA-Z0-9_-]+):(\$LATEST(?:\.PUBLISHED)?|[0-9]+)\/durable-execution\/([a-zA-Z0-9_-]+)\/([a-zA-Z0-9_-]+)$/;
const CALLBACK_ID_PATTERN = /^[A-Za-z0-9+/]+={0,2}$/;
/** The API model's limits: callback Result at most 256 KB, MaxItems 1–1000 with 100 by default. */
export const CALLBACK_RESULT_LIMIT = 262_144;
const MAX_ITEMS = 1000;
const DEFAULT_PAGE = 100;
const STATUSES = new Set(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'STOPPED']);
const JSON_HEADERS = { 'Content-Type': 'application/json' };

const durableFunction = (name: string, extra: Partial<DurableFunction> = {}): DurableFunction => ({
	name,
	handler: approval,
	versions: ['1'],
	aliases: { live: '1' },
	executionTimeoutSeconds: 3600,
	retentionPeriodInDays: 14,
	...extra,
});

export function durableFixtures(): DurableFunction[] {
	return [durableFunction('durable-approval'), durableFunction('durable-short', { executionTimeoutSeconds: 2 })];
}

export interface DurableRequest {
	route: DurableRoute;
	rawQuery: string;
	body: Buffer;
	region: string;
	accountId: string;
}

const json = (body: unknown, status = 200): Reply => ({ status, headers: JSON_HEADERS, body: JSON.stringify(body) });
const invalid = (message: string) => lambdaError(400, 'InvalidParameterValueException', message);
const epochSeconds = (ms: number) => ms / 1000;

export class DurableService {
	readonly clock: DurableClock = { msPerSecond: 1000 };
	/** How many executions Invoke started (a repeated idempotent start does not count). */
	started = 0;
	/** How many list or history pages to answer empty but with a NextMarker, as AWS may when a filter skips a whole page. */
	emptyPages = 0;
	private readonly functions: Map<string, DurableFunction>;
	private readonly executions = new Map<string, DurableExecution>();
	private readonly byName = new Map<string, DurableExecution>();
	private readonly callbacks = new Map<string, Callback>();
	private readonly markerSecret = randomUUID();

	constructor(
		functions: DurableFunction[],
		private readonly isPlainFunction: (name: string) => boolean,
	) {
		this.functions = new Map(functions.map((fn) => [fn.name, fn]));
	}

	execution(arn: string): DurableExecution | undefined {
		return this.executions.get(arn);
	}

	/** The callbacks an execution handed out, oldest first (for tests that play the approver themselves). */
	callbacksOf(arn: string): Callback[] {
		return [...this.callbacks.values()].filter((callback) => callback.execution.arn === arn);
	}

	/**
	 * Invoke of a durable function, or with a durable execution name. Undefined when the request is an
	 * ordinary invocation for the plain Lambda service.
	 */
	invoke(request: InvokeRequest, durableName: string | undefined): InvokeOutcome | undefined {
		const parsed = parseFunctionName(request.rawName);
		const fn = parsed && this.functions.get(parsed.name);
		if (!parsed || (!fn && durableName === undefined)) return undefined;
		const qualifier = parsed.qualifier ?? (request.query.Qualifier || undefined);
		const base = { functionName: parsed.name, qualifier };
		if (!fn) {
			if (!this.isPlainFunction(parsed.name)) return { ...base, reply: lambdaError(404, 'ResourceNotFoundException', `Function not found: ${functionArn(request, parsed.name)}`) };
			return { ...base, reply: invalid(`Function ${parsed.name} is not a durable function: DurableExecutionName needs a function with a DurableConfig.`) };
		}
		if (durableName !== undefined && !DURABLE_NAME_PATTERN.test(durableName)) {
			return { ...base, reply: invalid(`1 validation error detected: Value '${durableName}' at 'durableExecutionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+ and have length between 1 and 64`) };
		}
		const version = qualifier === undefined ? undefined : resolveVersion(fn, qualifier);
		if (qualifier === undefined) return { ...base, reply: invalid('Durable functions must be invoked with a qualified ARN or a Qualifier: a version, an alias or $LATEST.') };
		if (!version) return { ...base, reply: lambdaError(404, 'ResourceNotFoundException', `Function not found: ${functionArn(request, fn.name)}:${qualifier}`) };
		const invocationType = request.headers['x-amz-invocation-type'] ?? 'RequestResponse';
		const limit = invocationType === 'Event' ? ASYNC_PAYLOAD_LIMIT : SYNC_PAYLOAD_LIMIT;
		if (request.body.length > limit) return { ...base, reply: lambdaError(413, 'RequestTooLargeException', `Request must be smaller than ${limit} bytes for the InvokeFunction operation`) };
		const input = request.body.length > 0 ? request.body.toString('utf8') : '{}';
		let event: unknown;
		try {
			event = JSON.parse(input);
		} catch (error) {
			return { ...base, reply: lambdaError(400, 'InvalidRequestContentException', `Could not parse request body into json: ${(error as Error).message}`) };
		}
		const outcome = { ...base, executedVersion: version };
		if (invocationType === 'DryRun') return { ...outcome, reply: { status: 204 } };
		const started = this.startOrReuse(fn, version, durableName ?? randomUUID(), input, event, request);
		if ('reply' in started) return { ...outcome, reply: started.reply };
		if (invocationType === 'Event') return { ...outcome, reply: eventReply(started.execution) };
		return { ...outcome, reply: { status: 200 }, run: async () => await this.answerWhenEnded(started.execution, version) };
	}

	/** A synchronous durable invocation is answered once its execution ended, as Lambda does. */
	private async answerWhenEnded(execution: DurableExecution, executedVersion: string): Promise<Reply> {
		await execution.whenEnded();
		const headers: Record<string, string> = { ...JSON_HEADERS, 'X-Amz-Executed-Version': executedVersion, 'X-Amz-Durable-Execution-Arn': execution.arn };
		if (execution.status === 'SUCCEEDED') return { status: 200, headers, body: execution.result ?? 'null' };
		headers['X-Amz-Function-Error'] = 'Unhandled';
		const error = execution.error ?? {};
		return { status: 200, headers, body: JSON.stringify({ errorType: error.ErrorType, errorMessage: error.ErrorMessage, stackTrace: error.StackTrace ?? [] }) };
	}

	handle(request: DurableRequest): Reply {
		const query = new URLSearchParams(request.rawQuery);
		switch (request.route.action) {
			case 'ListDurableExecutionsByFunction':
				return this.list(request, query);
			case 'SendDurableExecutionCallbackSuccess':
			case 'SendDurableExecutionCallbackFailure':
			case 'SendDurableExecutionCallbackHeartbeat':
				return this.callback(request.route, request.body);
			default:
				return this.onExecution(request, query);
		}
	}

	private startOrReuse(fn: DurableFunction, version: string, name: string, input: string, event: unknown, request: InvokeRequest): { execution: DurableExecution } | { reply: Reply } {
		const key = `${fn.name}/${name}`;
		const existing = this.byName.get(key);
		if (existing) {
			if (existing.input === input) return { execution: existing };
			return {
				reply: lambdaError(409, 'DurableExecutionAlreadyStartedException', `A durable execution named ${name} already exists for function ${fn.name} with a different input payload.`),
			};
		}
		const unqualified = functionArn(request, fn.name);
		const execution = new DurableExecution({
			arn: `${unqualified}:${version}/durable-execution/${name}/${randomUUID().replace(/-/g, '')}`,
			name,
			functionArn: `${unqualified}:${version}`,
			version,
			input,
			executionTimeoutSeconds: fn.executionTimeoutSeconds,
			clock: this.clock,
			registerCallback: (callback) => this.callbacks.set(callback.id, callback),
		});
		this.byName.set(key, execution);
		this.executions.set(execution.arn, execution);
		this.started++;
		execution.start(fn.handler, event);
		return { execution };
	}

	private onExecution(request: DurableRequest, query: URLSearchParams): Reply {
		const arn = request.route.target;
		if (!EXECUTION_ARN_PATTERN.test(arn)) {
			return invalid(`1 validation error detected: Value '${arn}' at 'durableExecutionArn' failed to satisfy constraint: Member must satisfy regular expression pattern: ${EXECUTION_ARN_PATTERN.source}`);
		}
		const execution = this.executions.get(arn);
		if (!execution || !arn.includes(`:lambda:${request.region}:${request.accountId}:`)) return lambdaError(404, 'ResourceNotFoundException', `Durable execution not found: ${arn}`);
		const includeData = query.get('IncludeExecutionData') !== 'false';
		if (request.route.action === 'GetDurableExecution') return json(this.describe(execution, includeData));
		if (request.route.action === 'GetDurableExecutionHistory') return this.history(execution, query, includeData);
		return this.stop(execution, request.body);
	}

	private describe(execution: DurableExecution, includeData: boolean): Record<string, unknown> {
		const fn = this.functions.get(execution.functionArn.split(':function:')[1].split(':')[0]) as DurableFunction;
		const data = includeData ? { InputPayload: execution.input, Result: execution.result, Error: execution.error } : {};
		return {
			...summary(execution),
			...data,
			Version: execution.version,
			ExecutionDataIncluded: includeData,
			DurableConfig: { ExecutionTimeout: execution.executionTimeoutSeconds, RetentionPeriodInDays: fn.retentionPeriodInDays },
		};
	}

	private history(execution: DurableExecution, query: URLSearchParams, includeData: boolean): Reply {
		const events = includeData ? execution.events : execution.events.map(withoutPayloads);
		const reverse = query.get('ReverseOrder') === 'true';
		return this.page(query, `history:${execution.arn}:${reverse}`, reverse ? [...events].reverse() : events, (Events, NextMarker) => ({ Events, NextMarker }));
	}

	private stop(execution: DurableExecution, body: Buffer): Reply {
		if (execution.status !== 'RUNNING') {
			return invalid(`Durable execution ${execution.arn} is not running (status ${execution.status}); only a RUNNING execution can be stopped.`);
		}
		const error = errorObjectIn(body);
		if (error === 'malformed') return malformedBody();
		execution.stop(error && Object.keys(error).length > 0 ? error : undefined);
		return json({ StopTimestamp: epochSeconds(execution.endedAt as number) });
	}

	private list(request: DurableRequest, query: URLSearchParams): Reply {
		const parsed = parseFunctionName(request.route.target);
		const fn = parsed && this.functions.get(parsed.name);
		if (!parsed || !fn) {
			if (parsed && this.isPlainFunction(parsed.name)) return invalid(`Function ${parsed.name} is not a durable function: it has no DurableConfig and no durable executions.`);
			return lambdaError(404, 'ResourceNotFoundException', `Function not found: ${functionArn(request, parsed?.name ?? request.route.target)}`);
		}
		const qualifier = parsed.qualifier ?? query.get('Qualifier') ?? '$LATEST';
		const version = resolveVersion(fn, qualifier);
		if (!version) return lambdaError(404, 'ResourceNotFoundException', `Function not found: ${functionArn(request, fn.name)}:${qualifier}`);
		const statuses = query.getAll('Statuses');
		const unknownStatus = statuses.find((status) => !STATUSES.has(status));
		if (unknownStatus) return invalid(`1 validation error detected: Value '${unknownStatus}' at 'statuses' failed to satisfy enum value set: [RUNNING, SUCCEEDED, FAILED, TIMED_OUT, STOPPED]`);
		const name = query.get('DurableExecutionName');
		const after = timestamp(query.get('StartedAfter'));
		const before = timestamp(query.get('StartedBefore'));
		if (Number.isNaN(after) || Number.isNaN(before)) return invalid('StartedAfter and StartedBefore must be ISO 8601 date-times.');
		const matching = [...this.executions.values()].filter(
			(execution) =>
				execution.functionArn === `${functionArn(request, fn.name)}:${version}` &&
				(statuses.length === 0 || statuses.includes(execution.status)) &&
				(name === null || execution.name === name) &&
				(after === undefined || execution.startedAt > after) &&
				(before === undefined || execution.startedAt < before),
		);
		const ordered = query.get('ReverseOrder') === 'true' ? matching.reverse() : matching;
		const scope = `list:${fn.name}:${version}:${query.get('ReverseOrder')}:${statuses.join(',')}:${name}:${after}:${before}`;
		return this.page(query, scope, ordered.map(summary), (DurableExecutions, NextMarker) => ({ DurableExecutions, NextMarker }));
	}

	private callback(route: DurableRoute, body: Buffer): Reply {
		const id = route.target;
		if (id.length > 1024 || !CALLBACK_ID_PATTERN.test(id)) {
			return invalid("1 validation error detected: Value at 'callbackId' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9+/]+={0,2}");
		}
		const callback = this.callbacks.get(id);
		if (!callback) return lambdaError(404, 'ResourceNotFoundException', 'Callback not found. Check the callback ID the function handed out.');
		if (!callback.open) {
			return lambdaError(400, 'CallbackTimeoutException', `The callback ID token has either expired or the callback associated with the token has already been closed (callback ${callback.state}, execution ${callback.execution.status}).`);
		}
		if (route.action === 'SendDurableExecutionCallbackHeartbeat') {
			callback.heartbeat();
		} else if (route.action === 'SendDurableExecutionCallbackSuccess') {
			if (body.length > CALLBACK_RESULT_LIMIT) return lambdaError(413, 'RequestTooLargeException', `Result must be at most ${CALLBACK_RESULT_LIMIT} bytes.`);
			callback.succeed(body.toString('utf8'));
		} else {
			const error = errorObjectIn(body);
			if (error === 'malformed') return malformedBody();
			callback.fail(error ?? {});
		}
		return { status: 200 };
	}

	private page<T>(query: URLSearchParams, scope: string, items: T[], shape: (items: T[], next: string | undefined) => Record<string, unknown>): Reply {
		const maxItems = query.get('MaxItems') === null ? DEFAULT_PAGE : Number(query.get('MaxItems'));
		if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > MAX_ITEMS) {
			return invalid(`1 validation error detected: Value '${query.get('MaxItems')}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and ${MAX_ITEMS}`);
		}
		const marker = query.get('Marker');
		const offset = marker ? this.readMarker(marker, scope) : 0;
		if (offset === undefined) return invalid('Invalid pagination token');
		if (this.emptyPages > 0) {
			this.emptyPages--;
			return json(shape([], this.marker(offset, scope)));
		}
		const page = items.slice(offset, offset + maxItems);
		const next = offset + page.length < items.length ? this.marker(offset + page.length, scope) : undefined;
		return json(shape(page, next));
	}

	private marker(offset: number, scope: string): string {
		return Buffer.from(`${offset}:${this.sign(`${offset}:${scope}`)}`).toString('base64url');
	}

	private readMarker(marker: string, scope: string): number | undefined {
		const [offset, mac] = Buffer.from(marker, 'base64url').toString('utf8').split(':');
		return mac === this.sign(`${offset}:${scope}`) ? Number(offset) : undefined;
	}

	private sign(text: string): string {
		return createHmac('sha256', this.markerSecret).update(text).digest('base64url').slice(0, 16);
	}
}

function errorObjectIn(body: Buffer): ErrorObject | undefined | 'malformed' {
	if (body.length === 0) return undefined;
	try {
		return JSON.parse(body.toString('utf8')) as ErrorObject;
	} catch {
		return 'malformed';
	}
}

function malformedBody(): Reply {
	return lambdaError(400, 'InvalidRequestContentException', 'Could not parse request body into json: the ErrorObject is not JSON.');
}

function summary(execution: DurableExecution): Record<string, unknown> {
	return {
		DurableExecutionArn: execution.arn,
		DurableExecutionName: execution.name,
		FunctionArn: execution.functionArn,
		Status: execution.status,
		StartTimestamp: epochSeconds(execution.startedAt),
		EndTimestamp: execution.endedAt === undefined ? undefined : epochSeconds(execution.endedAt),
	};
}

function eventReply(execution: DurableExecution): Reply {
	return { status: 202, headers: { ...JSON_HEADERS, 'X-Amz-Durable-Execution-Arn': execution.arn } };
}

/** With IncludeExecutionData off, AWS leaves out every input, result and error payload of the events. */
function withoutPayloads(event: HistoryEvent): HistoryEvent {
	return JSON.parse(JSON.stringify(event, (key, value: unknown) => (key === 'Payload' ? undefined : value))) as HistoryEvent;
}

function timestamp(text: string | null): number | undefined {
	return text === null ? undefined : Date.parse(text);
}

function resolveVersion(fn: DurableFunction, qualifier: string): string | undefined {
	if (qualifier === '$LATEST' || fn.versions.includes(qualifier)) return qualifier;
	return fn.aliases[qualifier];
}

function functionArn(request: { region: string; accountId: string }, name: string): string {
	return `arn:aws:lambda:${request.region}:${request.accountId}:function:${name}`;
}
