import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';

import { presizedBodyCollector } from './bodyCollector';
import type { AwsAccess } from './credentials';
import { loadLambdaSdk } from './sdk';

export interface CallSettings {
	/** Whole request, including the function's run time. */
	timeoutMs: number;
	maxAttempts: number;
}

/**
 * How a call may be retried. An Invoke is replayed only when AWS answered (throttling, 5xx):
 * after a timeout or a dropped connection the function may already have run, and a replay would
 * run it twice. Reads (ListFunctions, DryRun) are safe to replay on any transient failure.
 */
export type CallKind = 'invoke' | 'read';

/** TCP keep-alive probes well below the 350 s after which NAT gateways drop idle connections. */
const KEEP_ALIVE_PROBE_MS = 60_000;
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The Lambda clients of one node execution: one per (identity, region, endpoint, call kind,
 * settings), each with a keep-alive socket pool sized to the node's concurrency, so every in-flight
 * call has its own connection. Destroyed when the execution's items are done.
 */
export class LambdaClients {
	private readonly clients = new Map<string, Promise<LambdaClient>>();

	constructor(private readonly maxSockets: number) {}

	async get(
		access: AwsAccess,
		region: string,
		kind: CallKind,
		settings: CallSettings,
	): Promise<LambdaClient> {
		const key = `${access.cacheKey}|${region}|${kind}|${settings.timeoutMs}|${settings.maxAttempts}`;
		let client = this.clients.get(key);
		if (!client) {
			client = this.create(access, region, kind, settings);
			this.clients.set(key, client);
		}
		return await client;
	}

	/** Drops the clients of an identity whose session AWS reported as expired. */
	forget(access: AwsAccess): void {
		for (const [key, client] of this.clients) {
			if (key.startsWith(`${access.cacheKey}|`)) {
				this.clients.delete(key);
				void client.then((c) => c.destroy());
			}
		}
	}

	async destroy(): Promise<void> {
		const clients = [...this.clients.values()];
		this.clients.clear();
		for (const client of await Promise.allSettled(clients)) {
			if (client.status === 'fulfilled') client.value.destroy();
		}
	}

	private async create(
		access: AwsAccess,
		region: string,
		kind: CallKind,
		settings: CallSettings,
	): Promise<LambdaClient> {
		const { LambdaClient } = await loadLambdaSdk();
		const agentOptions = {
			keepAlive: true,
			keepAliveMsecs: KEEP_ALIVE_PROBE_MS,
			maxSockets: this.maxSockets,
		};
		const base = new LambdaClient({ region, maxAttempts: settings.maxAttempts });
		const standardRetry = (await base.config.retryStrategy()) as RetryStrategyV2;
		const sdkCollector = base.config.streamCollector;
		base.destroy();
		return new LambdaClient({
			region,
			endpoint: access.lambdaEndpoint,
			credentials: access.credentials,
			retryStrategy: kind === 'invoke' ? new NoReplayAfterSend(standardRetry) : standardRetry,
			streamCollector: presizedBodyCollector(sdkCollector),
			requestHandler: {
				connectionTimeout: CONNECT_TIMEOUT_MS,
				requestTimeout: settings.timeoutMs,
				throwOnRequestTimeout: true,
				httpAgent: new HttpAgent(agentOptions),
				httpsAgent: new HttpsAgent(agentOptions),
			},
		});
	}
}

/**
 * The SDK's standard strategy (backoff, Retry-After, retry quota), minus retries of failures where
 * no HTTP answer came back: for those AWS may have accepted the invocation before the line dropped.
 */
class NoReplayAfterSend implements RetryStrategyV2 {
	constructor(private readonly standard: RetryStrategyV2) {}

	async acquireInitialRetryToken(scope: string): Promise<RetryToken> {
		return await this.standard.acquireInitialRetryToken(scope);
	}

	async refreshRetryTokenForRetry(token: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
		if (!hasHttpAnswer(info.error)) throw info.error;
		return await this.standard.refreshRetryTokenForRetry(token, info);
	}

	recordSuccess(token: RetryToken): void {
		this.standard.recordSuccess(token);
	}
}

function hasHttpAnswer(error: unknown): boolean {
	const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
		?.httpStatusCode;
	return typeof status === 'number' && status > 0;
}
