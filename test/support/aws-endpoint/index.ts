/**
 * A local AWS endpoint for tests, the demo and the benchmark: the Lambda REST API and the STS query
 * API as the real services speak them, on 127.0.0.1, with SigV4 checked on every request, fault
 * knobs and a request log. Driven by the real AWS SDK clients, never mocked.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';

import { FaultKnobs } from './faults';
import type { PendingFault } from './faults';
import type { FunctionState } from './functions';
import { fixtureFunctions } from './functions';
import type { InvokeOutcome, InvokeRequest, Reply } from './lambda';
import type { StreamedReply } from './streaming';
import { LambdaService, lambdaError } from './lambda';
import type { KeyRecord, SignatureCheck } from './sigv4';
import { SIGNATURE_MISMATCH, checkSignature, signatureMismatchMessage } from './sigv4';
import type { AssumeRoleInput, RoleDef } from './sts';
import { StsService, malformedStsReply, stsError } from './sts';
import { DurableService, durableFixtures, durableRoute } from './durable';
import { HostIdentityService } from './hostIdentity';

export type { Faults, FaultMatch, ResetStage } from './faults';
export type { RoleDef } from './sts';

export const DEFAULT_ACCOUNT_ID = '123456789012';
export const DEFAULT_ROLE_ARN = 'arn:aws:iam::123456789012:role/n8n-lambda-invoker';
export const DEFAULT_EXTERNAL_ID = 'n8n-local-external-id';

export interface AwsKey {
	accessKeyId: string;
	secretAccessKey: string;
	sessionToken?: string;
}

export const DEFAULT_KEY: AwsKey = {
	accessKeyId: 'AKIALOCALTEST0000001',
	secretAccessKey: 'local-test-secret-DO-NOT-LEAK-0001',
};

export interface LocalAwsOptions {
	/** Extra functions named fn-00000, fn-00001, … */
	functionCount?: number;
	keys?: AwsKey[];
	roles?: RoleDef[];
	quiet?: boolean;
	/**
	 * n8n's built-in AWS nodes sign requests to a custom endpoint whose host name does not name the
	 * service with an empty service in the credential scope (`…/us-east-1//aws4_request`); AWS rejects
	 * that, LocalStack accepts it. On, the signature is still verified, with that same empty scope.
	 */
	acceptEmptySigningService?: boolean;
}

export interface RequestLogEntry {
	at: number;
	service: 'lambda' | 'sts' | 'unknown';
	action: string;
	method: string;
	path: string;
	query: Record<string, string>;
	region?: string;
	signingService?: string;
	accessKeyId?: string;
	/** The attempt the AWS SDK numbers this request (its `amz-sdk-request` header), when it says. */
	attempt?: number;
	hasSessionToken: boolean;
	signatureValid: boolean;
	functionName?: string;
	qualifier?: string;
	executedVersion?: string;
	invocationType?: string;
	logType?: string;
	clientContext?: unknown;
	tenantId?: string;
	/** Payload bytes sent in a response stream's chunks. */
	streamedBytes?: number;
	/** When (Date.now()) a response stream's first chunk left for the client. */
	firstChunkAt?: number;
	payloadBytes?: number;
	payload?: string;
	roleArn?: string;
	externalId?: string;
	durationSeconds?: number;
	roleSessionName?: string;
	status: number;
	errorType?: string;
	fault?: string;
}

const LOGGED_PAYLOAD_LIMIT = 64 * 1024;
/** Time for bytes flushed to the socket to reach the client before a reset, which would discard them. */
const DROP_AFTER_FLUSH_MS = 50;
const ANNOUNCED_INVOKE: Reply = { status: 200, headers: { 'Content-Type': 'application/json', 'X-Amz-Executed-Version': '$LATEST' } };

export class LocalAws {
	readonly log: RequestLogEntry[] = [];
	readonly faults: FaultKnobs;
	private readonly keys = new Map<string, KeyRecord>();
	private readonly lambda: LambdaService;
	private readonly sts: StsService;
	readonly durable: DurableService;
	/** The n8n host's own identity sources: instance metadata, container credentials, web identity. */
	readonly hostIdentity: HostIdentityService;
	private readonly sockets = new Set<Socket>();
	private server!: Server;
	url = '';
	port = 0;

	private constructor(private readonly options: LocalAwsOptions) {
		for (const key of options.keys ?? [DEFAULT_KEY]) {
			const user = `n8n-local${key.accessKeyId === DEFAULT_KEY.accessKeyId ? '' : `-${key.accessKeyId.slice(-4)}`}`;
			this.keys.set(key.accessKeyId, {
				...key,
				principalArn: `arn:aws:iam::${DEFAULT_ACCOUNT_ID}:user/${user}`,
				userId: `AIDALOCALTEST${key.accessKeyId.slice(-7)}`,
				accountId: DEFAULT_ACCOUNT_ID,
			});
		}
		this.lambda = new LambdaService(fixtureFunctions(options.functionCount ?? 0));
		this.durable = new DurableService(durableFixtures(), (name) => this.lambda.get(name) !== undefined);
		this.sts = new StsService(options.roles ?? [{ roleArn: DEFAULT_ROLE_ARN, externalId: DEFAULT_EXTERNAL_ID }], (record) =>
			this.keys.set(record.accessKeyId, record),
		);
		this.faults = new FaultKnobs(() => this.expireSessions());
		this.hostIdentity = new HostIdentityService((record) => this.keys.set(record.accessKeyId, record));
	}

	static async start(options: LocalAwsOptions = {}): Promise<LocalAws> {
		const aws = new LocalAws(options);
		aws.server = createServer((req, res) => void aws.handle(req, res));
		aws.server.on('connection', (socket) => {
			aws.sockets.add(socket);
			socket.on('close', () => aws.sockets.delete(socket));
		});
		await new Promise<void>((resolve) => aws.server.listen(0, '127.0.0.1', resolve));
		aws.port = (aws.server.address() as { port: number }).port;
		aws.url = `http://127.0.0.1:${aws.port}`;
		return aws;
	}

	clearLog(): void {
		this.log.length = 0;
	}

	issuedSessions(): number {
		return this.sts.issued;
	}

	setFunctionState(name: string, state: FunctionState): void {
		const fn = this.lambda.get(name);
		if (!fn) throw new Error(`no fixture function ${name}`);
		fn.state = state;
	}

	async stop(): Promise<void> {
		for (const socket of this.sockets) socket.destroy();
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}

	private expireSessions(): void {
		for (const key of this.keys.values()) {
			if (key.expiresAt !== undefined) key.expiresAt = Date.now() - 1;
		}
	}

	private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const body = await readBody(req);
		const [rawPath, rawQuery = ''] = (req.url ?? '/').split('?');
		const query = Object.fromEntries(new URLSearchParams(rawQuery));
		const form = rawPath === '/' && req.method === 'POST' ? Object.fromEntries(new URLSearchParams(body.toString('utf8'))) : undefined;
		const entry = this.describe(req, rawPath, query, body, form);
		if (this.faults.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.faults.delayMs));
		// Unsigned by design: the host sources are how the host gets keys to sign with.
		const hostReply = this.hostIdentity.answer(req, rawPath, form);
		if (hostReply) return this.send(res, entry, hostReply);

		const signature = checkSignature({ method: req.method ?? 'GET', rawPath, rawQuery, headers: req.headers, body }, (id) => this.keys.get(id), {
			expectedService: entry.service === 'unknown' ? undefined : entry.service,
			acceptEmptyService: this.options.acceptEmptySigningService,
		});
		Object.assign(entry, {
			region: signature.region,
			signingService: signature.service,
			accessKeyId: signature.accessKeyId,
			hasSessionToken: signature.hasSessionToken,
			signatureValid: signature.problem === undefined || signature.problem === 'expired',
		});
		const refusal = signature.problem ? authError(entry.service, signature) : undefined;
		if (refusal || !signature.key) return this.send(res, entry, refusal ?? lambdaError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token'));
		this.faults.signaturePassed();

		const fault = entry.service === 'unknown' ? undefined : this.faults.take(entry);
		if (fault) {
			entry.fault = fault.kind;
			return this.applyFault(fault, entry, req, res, signature, body, query);
		}
		return this.send(res, entry, await this.dispatch(entry, signature, req, body, query, form));
	}

	private describe(req: IncomingMessage, rawPath: string, query: Record<string, string>, body: Buffer, form?: Record<string, string>): RequestLogEntry {
		const base = { at: Date.now(), method: req.method ?? 'GET', path: rawPath, query, attempt: sdkAttempt(req), hasSessionToken: false, signatureValid: false, status: 0 };
		const invoke = /^\/(?:2015-03-31\/functions\/([^/]+)\/invocations|2021-11-15\/functions\/([^/]+)\/(response-streaming-invocations))$/.exec(rawPath);

		if (invoke) {
			return {
				...base,
				service: 'lambda',
				action: invoke[3] ? 'InvokeWithResponseStream' : 'Invoke',
				invocationType: header(req, 'x-amz-invocation-type') ?? 'RequestResponse',
				logType: header(req, 'x-amz-log-type'),
				payloadBytes: body.length,
				payload: body.length <= LOGGED_PAYLOAD_LIMIT ? body.toString('utf8') : undefined,
				functionName: decodeURIComponent(invoke[1] ?? invoke[2]).split(':function:').pop()?.split(':')[0],
			};
		}
		if (/^\/2015-03-31\/functions\/?$/.test(rawPath)) return { ...base, service: 'lambda', action: 'ListFunctions' };
		const durable = durableRoute(base.method, rawPath);
		if (durable) return { ...base, service: 'lambda', action: durable.action };
		if (form?.Action) {
			return {
				...base,
				service: 'sts',
				action: form.Action,
				roleArn: form.RoleArn,
				externalId: form.ExternalId,
				roleSessionName: form.RoleSessionName,
				durationSeconds: form.DurationSeconds === undefined ? undefined : Number(form.DurationSeconds),
			};
		}
		return { ...base, service: 'unknown', action: `${req.method} ${rawPath}` };
	}

	private async dispatch(
		entry: RequestLogEntry,
		signature: SignatureCheck & { key?: KeyRecord },
		req: IncomingMessage,
		body: Buffer,
		query: Record<string, string>,
		form?: Record<string, string>,
	): Promise<Reply> {
		const key = signature.key as KeyRecord;
		const region = signature.region ?? 'us-east-1';
		if (entry.action === 'ListFunctions') return this.lambda.listFunctions(query, region, key.accountId);
		const durable = durableRoute(entry.method, entry.path);
		// The raw query: durable list filters repeat a name (Statuses=A&Statuses=B).
		if (durable) return this.durable.handle({ route: durable, rawQuery: (req.url ?? '').split('?')[1] ?? '', body, region, accountId: key.accountId });
		if (entry.action === 'Invoke' || entry.action === 'InvokeWithResponseStream') {
			const outcome = this.invokeLambda(req, {
				rawName: decodeURIComponent(entry.path.split('/')[3]),
				query,
				headers: {
					'x-amz-invocation-type': header(req, 'x-amz-invocation-type'),
					'x-amz-log-type': header(req, 'x-amz-log-type'),
					'x-amz-client-context': header(req, 'x-amz-client-context'),
					'x-amz-tenant-id': header(req, 'x-amz-tenant-id'),
				},
				streaming: entry.action === 'InvokeWithResponseStream',
				body,
				region,
				accountId: key.accountId,
			});
			Object.assign(entry, {
				functionName: outcome.functionName ?? entry.functionName,
				qualifier: outcome.qualifier,
				executedVersion: outcome.executedVersion,
				clientContext: outcome.clientContext,
				tenantId: outcome.tenantId,
			});
			return outcome.reply.status === 200 && outcome.run ? await outcome.run() : outcome.reply;
		}
		if (entry.action === 'AssumeRole') return this.sts.assumeRole(key, (form ?? {}) as AssumeRoleInput, this.faults.expirySeconds);
		if (entry.action === 'GetCallerIdentity') return this.sts.getCallerIdentity(key);
		return entry.service === 'sts'
			? stsError(400, 'InvalidAction', `Could not find operation ${entry.action} for version 2011-06-15`)
			: lambdaError(404, 'UnknownOperationException', `Unknown operation ${entry.action}`);
	}

	/** Durable functions, and any Invoke naming a durable execution, are the durable service's. */
	private invokeLambda(req: IncomingMessage, request: InvokeRequest): InvokeOutcome {
		return this.durable.invoke(request, header(req, 'x-amz-durable-execution-name')) ?? this.lambda.invoke(request);
	}

	private async applyFault(
		fault: PendingFault,
		entry: RequestLogEntry,
		req: IncomingMessage,
		res: ServerResponse,
		signature: SignatureCheck,
		body: Buffer,
		query: Record<string, string>,
	): Promise<void> {
		switch (fault.kind) {
			case 'throttle': {
				const reply = lambdaError(429, 'TooManyRequestsException', 'Rate Exceeded.', {
					Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
					...(fault.retryAfterSeconds !== undefined ? { retryAfterSeconds: String(fault.retryAfterSeconds) } : {}),
				});
				if (fault.retryAfterSeconds !== undefined) reply.headers = { ...reply.headers, 'Retry-After': String(fault.retryAfterSeconds) };
				return this.send(res, entry, reply);
			}
			case 'serverError':
				return this.send(res, entry, lambdaError(fault.status ?? 500, fault.errorType ?? 'ServiceException', 'The service encountered an internal error (injected fault).'));
			case 'stsMalformed':
				return this.send(res, entry, malformedStsReply(fault.stsShape));
			case 'invalidSignature':
				return this.send(res, entry, signatureRefusal(entry.service, signature.canonical && signatureMismatchMessage(signature.canonical)));
			case 'hang':
				entry.status = 0;
				this.log.push(entry);
				return;
			case 'announceLength':
				return this.announceLength(res, entry, fault.bytes ?? 0);
			case 'resetConnection':
				return await this.dropConnection(fault, entry, req, res, () => this.dispatch(entry, signature, req, body, query));
			case 'dropStream':
				return await this.send(res, entry, await this.dispatch(entry, signature, req, body, query), fault.afterBytes);
			case 'revealCallerToken':
				return this.send(res, entry, withCallerToken(await this.dispatch(entry, signature, req, body, query), header(req, 'x-amz-security-token')));
			case 'gatewayError':
				await this.dispatch(entry, signature, req, body, query);
				return this.answerAsGateway(res, entry, fault);
		}
	}

	/** Bypasses `replyHeaders`: a proxy's answer carries AWS's error type and request id only when told to. */
	private answerAsGateway(res: ServerResponse, entry: RequestLogEntry, fault: PendingFault): void {
		const status = fault.status ?? 504;
		const body = fault.html
			? `<html><body><h1>${status} Gateway Error</h1></body></html>`
			: fault.json
				? JSON.stringify({ code: status, message: 'Gateway Error' })
				: '';
		res.writeHead(status, {
			'Content-Type': fault.html ? 'text/html' : fault.json ? 'application/json' : 'text/plain',
			'Content-Length': String(Buffer.byteLength(body)),
			...(fault.errorType ? { 'x-amzn-ErrorType': fault.errorType } : {}),
			...(fault.requestId ? { 'x-amzn-RequestId': randomUUID() } : {}),
		});
		res.end(body);
		this.record(entry, { status });
	}

	/**
	 * Without `afterFunctionRuns` nothing ran. After the function ran, the reply gets as far as the
	 * fault's stage and is flushed to the client before the reset, as when a network drops mid-reply.
	 */
	private async dropConnection(fault: PendingFault, entry: RequestLogEntry, req: IncomingMessage, res: ServerResponse, run: () => Promise<Reply>): Promise<void> {
		if (!fault.afterFunctionRuns) {
			this.log.push(entry);
			req.socket.destroy();
			return;
		}
		const reply = await run();
		this.record(entry, reply);
		const stage = fault.stage ?? 'afterHeaders';
		if (stage !== 'beforeHeaders') {
			res.writeHead(reply.status, replyHeaders(entry.service, reply));
			res.flushHeaders();
			if (stage === 'midBody') res.write(firstHalf(reply.body));
			await flushedToClient(req.socket);
		}
		req.socket.destroy();
	}

	/** A reply whose announced length never arrives: the connection is held until the client or the server gives up. */
	private announceLength(res: ServerResponse, entry: RequestLogEntry, bytes: number): void {
		this.record(entry, ANNOUNCED_INVOKE);
		res.writeHead(200, { ...replyHeaders(entry.service, ANNOUNCED_INVOKE), 'Content-Length': String(bytes) });
		res.write('{"data":"');
	}

	/** `dropAfterBytes`: a response stream's connection drops once that much payload went out. */
	private send(res: ServerResponse, entry: RequestLogEntry, reply: Reply, dropAfterBytes = Infinity): void | Promise<void> {
		if (reply.stream) return this.sendStream(res, entry, reply, reply.stream, dropAfterBytes);
		this.record(entry, reply);
		res.writeHead(reply.status, replyHeaders(entry.service, reply));
		res.end(reply.body);
	}

	/** Frames leave as the function produces them (chunked, as AWS streams); the log entry is written once the stream ends. */
	private async sendStream(res: ServerResponse, entry: RequestLogEntry, reply: Reply, stream: StreamedReply, dropAfterBytes: number): Promise<void> {
		res.writeHead(reply.status, { ...replyHeaders(entry.service, reply), 'Content-Type': stream.contentType });
		entry.streamedBytes = 0;
		for await (const frame of stream.frames) {
			if (!(await written(res, frame.bytes))) break;
			if (frame.payloadBytes > 0) entry.firstChunkAt ??= Date.now();
			entry.streamedBytes += frame.payloadBytes;
			if (entry.streamedBytes >= dropAfterBytes) {
				this.record(entry, reply);
				await flushedToClient(res.socket as Socket);
				res.socket?.destroy();
				return;
			}
		}
		res.end();
		this.record(entry, reply);
	}

	private record(entry: RequestLogEntry, reply: Reply): void {
		entry.status = reply.status;
		entry.errorType = reply.errorType;
		this.log.push(entry);
	}
}

function withCallerToken(reply: Reply, token: string | undefined): Reply {
	const answer = JSON.parse(String(reply.body ?? '{}')) as Record<string, unknown>;
	return { ...reply, body: JSON.stringify({ ...answer, callerSessionToken: token }) };
}

function replyHeaders(service: RequestLogEntry['service'], reply: Reply): Record<string, string> {
	const headers: Record<string, string> = { ...reply.headers };
	if (service !== 'sts') headers['x-amzn-RequestId'] = randomUUID();
	// As AWS does: every buffered body is announced with its length (writeHead would otherwise make it chunked); a stream goes chunked.
	if (!reply.stream) headers['Content-Length'] = String(reply.body === undefined ? 0 : Buffer.byteLength(reply.body));
	return headers;
}

/** Writes with backpressure; false once the client went away (a stream is then abandoned). */
async function written(res: ServerResponse, bytes: Buffer): Promise<boolean> {
	if (res.destroyed) return false;
	if (!res.write(bytes)) await drainedOrClosed(res);
	return !res.destroyed;
}

/** Removes both listeners either way: a long stream waits for drain thousands of times. */
async function drainedOrClosed(res: ServerResponse): Promise<void> {
	await new Promise<void>((resolve) => {
		const done = () => {
			res.off('drain', done);
			res.off('close', done);
			resolve();
		};
		res.once('drain', done);
		res.once('close', done);
	});
}

function firstHalf(body: Reply['body']): Buffer {
	const bytes = Buffer.from(body ?? '');
	return bytes.subarray(0, Math.floor(bytes.length / 2));
}

/** Resolves once everything written so far has left for the client, plus time for it to arrive. */
async function flushedToClient(socket: Socket): Promise<void> {
	await new Promise<void>((resolve) => socket.write('', () => resolve()));
	await new Promise((resolve) => setTimeout(resolve, DROP_AFTER_FLUSH_MS));
}

function signatureRefusal(service: RequestLogEntry['service'], message = SIGNATURE_MISMATCH): Reply {
	return service === 'sts' ? stsError(403, 'SignatureDoesNotMatch', message) : lambdaError(403, 'InvalidSignatureException', message);
}

function authError(service: RequestLogEntry['service'], signature: SignatureCheck): Reply {
	const sts = service === 'sts';
	switch (signature.problem) {
		case 'unknown-key':
		case 'bad-token':
			return sts
				? stsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.')
				: lambdaError(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
		case 'bad-signature':
		case 'wrong-service':
		case 'skewed':
			return signatureRefusal(service, signature.message);
		case 'expired':
			return sts
				? stsError(403, 'ExpiredToken', 'The security token included in the request is expired')
				: lambdaError(403, 'ExpiredTokenException', 'The security token included in the request is expired');
		default:
			return sts
				? stsError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token')
				: lambdaError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
	}
}

/** The AWS SDK numbers each attempt of a call in its `amz-sdk-request` header (`attempt=2; max=3`). */
function sdkAttempt(req: IncomingMessage): number | undefined {
	const attempt = /attempt=(\d+)/.exec(header(req, 'amz-sdk-request') ?? '');
	return attempt ? Number(attempt[1]) : undefined;
}

function header(req: IncomingMessage, name: string): string | undefined {
	const value = req.headers[name];
	return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}
