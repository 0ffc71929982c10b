import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Socket } from 'node:net';
import type { LookupFunction } from 'node:net';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';

import { limitedBodyCollector, SYNC_RESPONSE_LIMIT_BYTES } from './bodyCollector';
import type { AwsAccess } from './credentials';
import { loadLambdaSdk, PINNED_ENDPOINT_CONFIG } from './sdk';

export interface CallSettings {
	/** Limit on one attempt; none when the caller bounds the whole call instead (an Invoke's Timeout). */
	timeoutMs?: number;
	maxAttempts: number;
	/** Largest response body accepted; by default Lambda's synchronous maximum plus room for an error document. */
	maxResponseBytes?: number;
}

/**
 * How a call may be retried. An Invoke is replayed only when AWS refused it with a complete answer
 * (throttling, 5xx) or when the request provably never left (DNS, connect): after anything else the
 * function may already have run, and a replay would run it twice. Reads (ListFunctions, DryRun) are
 * safe to replay on any transient failure.
 */
export type CallKind = 'invoke' | 'read';

export interface TransportOptions {
	/** Clients kept for reuse; older ones are dropped (and rebuilt if their identity comes back). */
	maxCachedClients?: number;
	connectTimeoutMs?: number;
	/** Host name resolution, for tests that must not query any DNS server. */
	lookup?: LookupFunction;
}

/** TCP keep-alive probes well below the 350 s after which NAT gateways drop idle connections. */
const KEEP_ALIVE_PROBE_MS = 60_000;
const CONNECT_TIMEOUT_MS = 10_000;
/** Enough for the identities one workflow uses; bounds memory when every item brings its own keys. */
const MAX_CACHED_CLIENTS = 32;

/**
 * The Lambda clients of one node execution: one per (identity, region, endpoint, call kind,
 * settings), the most recently used ones kept for reuse. All of them share one keep-alive socket
 * pool sized to the node's concurrency, so open connections never exceed the calls in flight, however
 * many identities the items bring. A client that is dropped is never destroyed (that would destroy
 * the shared sockets, with calls in flight on them): calls still running on it finish, then it is
 * garbage. The pool is destroyed when the execution's items are done.
 */
export class LambdaClients {
	/** Least recently used first. */
	private readonly clients = new Map<string, CachedClient>();
	private readonly agents: { http: HttpAgent; https: HttpsAgent };
	private readonly maxCachedClients: number;

	constructor(maxSockets: number, options: TransportOptions = {}) {
		this.maxCachedClients = options.maxCachedClients ?? MAX_CACHED_CLIENTS;
		const agentOptions = {
			keepAlive: true,
			keepAliveMsecs: KEEP_ALIVE_PROBE_MS,
			maxSockets,
			maxFreeSockets: maxSockets,
			lookup: options.lookup,
		};
		const connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
		this.agents = {
			http: withConnectTimeout(new HttpAgent(agentOptions), connectTimeoutMs),
			https: withConnectTimeout(new HttpsAgent(agentOptions), connectTimeoutMs),
		};
	}

	async get(access: AwsAccess, region: string, kind: CallKind, settings: CallSettings): Promise<LambdaClient> {
		const key = [access.cacheKey, region, kind, settings.timeoutMs, settings.maxAttempts, settings.maxResponseBytes].join('|');
		const cached = this.clients.get(key) ?? this.create(access, region, kind, settings);
		this.clients.delete(key);
		this.clients.set(key, cached);
		this.dropLeastRecentlyUsed();
		return await cached.client;
	}

	/**
	 * Stops reusing a client whose session AWS reported as expired. Its calls in flight finish on their
	 * sockets; a client built since for the renewed session stays.
	 */
	retire(client: LambdaClient): void {
		for (const [key, cached] of this.clients) {
			if (cached.resolved === client) this.clients.delete(key);
		}
	}

	async destroy(): Promise<void> {
		this.clients.clear();
		this.agents.http.destroy();
		this.agents.https.destroy();
	}

	private dropLeastRecentlyUsed(): void {
		for (const key of this.clients.keys()) {
			if (this.clients.size <= this.maxCachedClients) return;
			this.clients.delete(key);
		}
	}

	private create(access: AwsAccess, region: string, kind: CallKind, settings: CallSettings): CachedClient {
		const cached: CachedClient = { client: this.build(access, region, kind, settings) };
		// Only records the built client; a failure reaches the callers awaiting `client`.
		cached.client.then(
			(client) => (cached.resolved = client),
			() => undefined,
		);
		return cached;
	}

	private async build(
		access: AwsAccess,
		region: string,
		kind: CallKind,
		settings: CallSettings,
	): Promise<LambdaClient> {
		const { LambdaClient, LambdaServiceException } = await loadLambdaSdk();
		const base = new LambdaClient({ region, maxAttempts: settings.maxAttempts });
		const standardRetry = (await base.config.retryStrategy()) as RetryStrategyV2;
		const sdkCollector = base.config.streamCollector;
		base.destroy();
		return new LambdaClient({
			...PINNED_ENDPOINT_CONFIG,
			region,
			endpoint: access.lambdaEndpoint,
			credentials: access.credentials,
			retryStrategy:
				kind === 'invoke'
					? new InvokeRetry(standardRetry, (error) => error instanceof LambdaServiceException)
					: standardRetry,
			streamCollector: limitedBodyCollector(sdkCollector, settings.maxResponseBytes ?? SYNC_RESPONSE_LIMIT_BYTES),
			requestHandler: {
				requestTimeout: settings.timeoutMs,
				throwOnRequestTimeout: true,
				httpAgent: this.agents.http,
				httpsAgent: this.agents.https,
			},
		});
	}
}

interface CachedClient {
	client: Promise<LambdaClient>;
	/** Set once built, so an expired client can be recognised without waiting. */
	resolved?: LambdaClient;
}

/**
 * Makes the agent's new sockets fail with a `connect` ETIMEDOUT (as the operating system reports one)
 * when the connection is not established in time: that failure then reads, like every other failure
 * before the connection existed, as "nothing was sent".
 */
function withConnectTimeout<Agent extends HttpAgent>(agent: Agent, timeoutMs: number): Agent {
	const createConnection = agent.createConnection.bind(agent) as (...args: unknown[]) => unknown;
	return Object.assign(agent, {
		createConnection: (...args: unknown[]) => {
			const socket = createConnection(...args);
			if (socket instanceof Socket) failUnlessConnectedIn(socket, timeoutMs);
			return socket;
		},
	});
}

function failUnlessConnectedIn(socket: Socket, timeoutMs: number): void {
	const timer = setTimeout(() => {
		if (socket.connecting) socket.destroy(connectTimedOut(timeoutMs));
	}, timeoutMs);
	socket.once('connect', () => clearTimeout(timer));
	socket.once('close', () => clearTimeout(timer));
}

function connectTimedOut(timeoutMs: number): Error {
	return Object.assign(new Error(`connect ETIMEDOUT: no connection within ${timeoutMs} ms`), {
		code: 'ETIMEDOUT',
		syscall: 'connect',
	});
}

/**
 * The SDK's standard strategy (backoff, Retry-After, retry quota), limited to the failures after
 * which AWS cannot have run the function: a complete refusal from AWS, or a request that never left.
 */
class InvokeRetry implements RetryStrategyV2 {
	constructor(
		private readonly standard: RetryStrategyV2,
		private readonly isAwsAnswer: (error: unknown) => boolean,
	) {}

	async acquireInitialRetryToken(scope: string): Promise<RetryToken> {
		return await this.standard.acquireInitialRetryToken(scope);
	}

	async refreshRetryTokenForRetry(token: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
		if (!isRefusedByAws(info.error, this.isAwsAnswer) && !neverSent(info.error)) throw info.error;
		return await this.standard.refreshRetryTokenForRetry(token, info);
	}

	recordSuccess(token: RetryToken): void {
		this.standard.recordSuccess(token);
	}
}

/**
 * A throttling or 5xx error deserialized from a whole AWS error document. The status alone proves
 * nothing: the SDK takes it from the headers, and a connection that drops after a 200's headers
 * still carries 200 next to its ECONNRESET.
 */
function isRefusedByAws(error: unknown, isAwsAnswer: (error: unknown) => boolean): boolean {
	const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode ?? 0;
	return isAwsAnswer(error) && isMarkedByAws(error) && (status === 429 || status >= 500);
}

/** The names the SDK falls back to when an answer carries no error type. */
const UNNAMED_ERROR = /^(Unknown|UnknownError|\d{3})$/;

/**
 * AWS marks every error it answers with its error type (the `x-amzn-ErrorType` header or `__type` /
 * `code` in the body, which the SDK makes the error's name) and its request id. A proxy or gateway
 * in between (its 502, 503 or 504) has neither, and the function may be running behind it.
 */
function isMarkedByAws(error: unknown): boolean {
	const { name, $metadata } = (error ?? {}) as { name?: unknown; $metadata?: { requestId?: string } };
	return typeof name === 'string' && !UNNAMED_ERROR.test(name) && Boolean($metadata?.requestId);
}

/** Failures of the DNS lookup or the TCP connect: not one byte of the request was written. */
const BEFORE_CONNECTION = new Set(['getaddrinfo', 'connect']);

export function neverSent(error: unknown): boolean {
	const { syscall, errors } = (error ?? {}) as { syscall?: string; errors?: unknown };
	// A host with IPv4 and IPv6 addresses is tried on each; Node then reports every failure together.
	if (Array.isArray(errors)) return errors.length > 0 && errors.every(neverSent);
	return BEFORE_CONNECTION.has(syscall ?? '');
}
