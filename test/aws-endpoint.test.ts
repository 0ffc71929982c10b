/** The local endpoint itself, driven by the real AWS SDK clients: it must speak the protocols as AWS does. */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

import { InvokeCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

import { DEFAULT_EXTERNAL_ID, DEFAULT_KEY, DEFAULT_ROLE_ARN, LocalAws } from './support/aws-endpoint';

let aws: LocalAws;
const clients: Array<{ destroy(): void }> = [];

beforeAll(async () => {
	aws = await LocalAws.start({ functionCount: 120, quiet: true });
});
afterAll(async () => {
	for (const client of clients) client.destroy();
	await aws.stop();
});
beforeEach(() => {
	aws.clearLog();
	aws.faults.reset();
});

function lambda(credentials = DEFAULT_KEY, maxAttempts = 3) {
	const client = new LambdaClient({ region: 'us-east-1', endpoint: aws.url, credentials, maxAttempts });
	clients.push(client);
	return client;
}

function sts(credentials = DEFAULT_KEY) {
	const client = new STSClient({ region: 'us-east-1', endpoint: aws.url, credentials });
	clients.push(client);
	return client;
}

const text = (payload?: Uint8Array) => Buffer.from(payload ?? []).toString('utf8');

describe('Lambda Invoke as AWS speaks it', () => {
	it('answers each invocation type with its status code', async () => {
		const sync = await lambda().send(new InvokeCommand({ FunctionName: 'echo', Payload: '{"a":1}' }));
		const event = await lambda().send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'Event', Payload: '{}' }));
		const dry = await lambda().send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'DryRun' }));
		expect([sync.StatusCode, event.StatusCode, dry.StatusCode]).toEqual([200, 202, 204]);
		expect(JSON.parse(text(sync.Payload)).event).toEqual({ a: 1 });
		expect(text(event.Payload)).toBe('');
		expect(aws.log.map((entry) => entry.signatureValid)).toEqual([true, true, true]);
	});

	it('resolves versions and aliases, from the name or the Qualifier', async () => {
		const alias = await lambda().send(new InvokeCommand({ FunctionName: 'echo:live' }));
		const version = await lambda().send(new InvokeCommand({ FunctionName: 'echo', Qualifier: '1' }));
		const arn = await lambda().send(new InvokeCommand({ FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:echo:live' }));
		expect([alias.ExecutedVersion, version.ExecutedVersion, arn.ExecutedVersion]).toEqual(['2', '1', '2']);
		await expect(lambda().send(new InvokeCommand({ FunctionName: 'echo:nope' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
	});

	it('returns the last 4 KB of the log with LogType Tail, and the client context', async () => {
		const chatty = await lambda().send(new InvokeCommand({ FunctionName: 'chatty', LogType: 'Tail' }));
		const log = Buffer.from(chatty.LogResult ?? '', 'base64');
		expect(log.length).toBe(4096);
		expect(log.toString()).toMatch(/line 200/);
		const context = Buffer.from(JSON.stringify({ custom: { a: 1 } })).toString('base64');
		const echoed = await lambda().send(new InvokeCommand({ FunctionName: 'echo', ClientContext: context }));
		expect(JSON.parse(text(echoed.Payload)).clientContext).toEqual({ custom: { a: 1 } });
	});

	it('flags function errors with X-Amz-Function-Error', async () => {
		const unhandled = await lambda().send(new InvokeCommand({ FunctionName: 'fail' }));
		const handled = await lambda().send(new InvokeCommand({ FunctionName: 'handled-fail' }));
		expect(unhandled).toMatchObject({ StatusCode: 200, FunctionError: 'Unhandled' });
		expect(JSON.parse(text(unhandled.Payload))).toMatchObject({ errorType: 'TypeError', errorMessage: 'boom: {}' });
		expect(handled.FunctionError).toBe('Handled');
	});

	it('rejects what AWS rejects, with AWS error types', async () => {
		const cases: Array<[InvokeCommand, string]> = [
			[new InvokeCommand({ FunctionName: 'missing' }), 'ResourceNotFoundException'],
			[new InvokeCommand({ FunctionName: 'pending-fn' }), 'ResourceConflictException'],
			[new InvokeCommand({ FunctionName: 'echo', Payload: 'x'.repeat(6 * 1024 * 1024 + 1) }), 'RequestTooLargeException'],
			[new InvokeCommand({ FunctionName: 'echo', InvocationType: 'Event', Payload: 'x'.repeat(1024 * 1024 + 1) }), 'RequestTooLargeException'],
			[new InvokeCommand({ FunctionName: 'echo', Payload: '{not json' }), 'InvalidRequestContentException'],
			[new InvokeCommand({ FunctionName: 'arn:aws:lambda:us-west-2:123456789012:function:echo' }), 'ResourceNotFoundException'],
		];
		for (const [command, name] of cases) {
			await expect(lambda().send(command)).rejects.toMatchObject({ name });
		}
		expect(aws.log.map((entry) => entry.status)).toEqual([404, 409, 413, 413, 400, 404]);
	});
});

describe('Lambda ListFunctions', () => {
	it('pages 50 at a time with NextMarker, exactly once each', async () => {
		const names: string[] = [];
		let marker: string | undefined;
		let pages = 0;
		do {
			const page = await lambda().send(new ListFunctionsCommand({ Marker: marker, MaxItems: 50 }));
			names.push(...(page.Functions ?? []).map((fn) => fn.FunctionName ?? ''));
			marker = page.NextMarker;
			pages++;
		} while (marker);
		expect(names).toHaveLength(136);
		expect(new Set(names).size).toBe(136);
		expect(pages).toBe(3);
	});

	it('validates MaxItems and markers, and lists versions with FunctionVersion ALL', async () => {
		await expect(lambda().send(new ListFunctionsCommand({ MaxItems: 0 }))).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
		await expect(lambda().send(new ListFunctionsCommand({ Marker: 'forged' }))).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
		const capped = await lambda().send(new ListFunctionsCommand({ MaxItems: 500 }));
		expect(capped.Functions).toHaveLength(50);
		const all = await lambda().send(new ListFunctionsCommand({ FunctionVersion: 'ALL', MaxItems: 50 }));
		expect(all.Functions?.filter((fn) => fn.FunctionName === 'echo').map((fn) => fn.Version)).toEqual(['$LATEST', '1', '2']);
	});
});

describe('STS and signatures', () => {
	it('assumes a role with the right External ID; the temporary keys then work', async () => {
		const assumed = await sts().send(
			new AssumeRoleCommand({ RoleArn: DEFAULT_ROLE_ARN, RoleSessionName: 'test', ExternalId: DEFAULT_EXTERNAL_ID }),
		);
		const keys = assumed.Credentials;
		expect(keys?.AccessKeyId).toMatch(/^ASIA/);
		expect(keys?.Expiration?.getTime()).toBeGreaterThan(Date.now() + 3500_000);
		const temporary = { accessKeyId: keys!.AccessKeyId!, secretAccessKey: keys!.SecretAccessKey!, sessionToken: keys!.SessionToken! };
		const who = await sts(temporary).send(new GetCallerIdentityCommand({}));
		expect(who.Arn).toBe('arn:aws:sts::123456789012:assumed-role/n8n-lambda-invoker/test');
		const invoked = await lambda(temporary).send(new InvokeCommand({ FunctionName: 'echo' }));
		expect(invoked.StatusCode).toBe(200);
		expect(aws.log.at(-1)).toMatchObject({ hasSessionToken: true, accessKeyId: keys!.AccessKeyId, signatureValid: true });
		expect(aws.issuedSessions()).toBeGreaterThanOrEqual(1);

		aws.faults.expireSessions();
		await expect(lambda(temporary).send(new InvokeCommand({ FunctionName: 'echo' }))).rejects.toMatchObject({ name: 'ExpiredTokenException' });
	});

	it('denies AssumeRole without or with a wrong External ID', async () => {
		for (const ExternalId of [undefined, 'wrong']) {
			await expect(
				sts().send(new AssumeRoleCommand({ RoleArn: DEFAULT_ROLE_ARN, RoleSessionName: 'test', ExternalId })),
			).rejects.toMatchObject({ name: 'AccessDenied' });
		}
		expect(aws.log.map((entry) => [entry.action, entry.status, entry.externalId])).toEqual([
			['AssumeRole', 403, undefined],
			['AssumeRole', 403, 'wrong'],
		]);
	});

	it('rejects a wrong secret and an unknown key, for Lambda and STS', async () => {
		const wrongSecret = { ...DEFAULT_KEY, secretAccessKey: 'not-the-secret' };
		const unknown = { accessKeyId: 'AKIALOCALTESTUNKNOWN', secretAccessKey: 'x' };
		await expect(lambda(wrongSecret, 1).send(new InvokeCommand({ FunctionName: 'echo' }))).rejects.toMatchObject({ name: 'InvalidSignatureException' });
		await expect(lambda(unknown, 1).send(new InvokeCommand({ FunctionName: 'echo' }))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
		await expect(sts(wrongSecret).send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
		await expect(sts(unknown).send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'InvalidClientTokenId' });
		expect(aws.log.every((entry) => !entry.signatureValid || entry.accessKeyId === unknown.accessKeyId)).toBe(true);
	});
});

describe('Signing scope', () => {
	it('rejects a signature whose credential scope names no service, unless asked to accept it', async () => {
		const { SignatureV4 } = await import('@smithy/signature-v4');
		const { Sha256 } = await import('@aws-crypto/sha256-js');
		const signer = new SignatureV4({ credentials: DEFAULT_KEY, region: 'us-east-1', service: '', sha256: Sha256 });
		const send = async (server: LocalAws) => {
			const url = new URL(`${server.url}/2015-03-31/functions/echo/invocations`);
			const signed = await signer.sign({
				method: 'POST',
				protocol: 'http:',
				hostname: url.hostname,
				port: Number(url.port),
				path: url.pathname,
				query: {},
				headers: { host: url.host, 'content-type': 'application/json' },
				body: '{}',
			});
			const response = await fetch(url, { method: 'POST', headers: signed.headers as Record<string, string>, body: '{}' });
			return response.status;
		};
		const lenient = await LocalAws.start({ acceptEmptySigningService: true, quiet: true });
		try {
			expect(await send(aws)).toBe(403);
			expect(await send(lenient)).toBe(200);
			expect(lenient.log[0]).toMatchObject({ signatureValid: true, signingService: '' });
		} finally {
			await lenient.stop();
		}
	});
});

describe('Signing service and clock', () => {
	/** A Lambda client whose credential scope names another service than `lambda`. */
	function lambdaSignedFor(service: string) {
		const client = new LambdaClient({
			region: 'us-east-1',
			endpoint: aws.url,
			credentials: DEFAULT_KEY,
			maxAttempts: 1,
			httpAuthSchemeProvider: (parameters) => [
				{
					schemeId: 'aws.auth#sigv4',
					signingProperties: { signingName: service, region: parameters.region },
					propertiesExtractor: (config: object, context: object) => ({ signingProperties: { config, context } }),
				},
			],
		});
		clients.push(client);
		return client;
	}

	it('refuses a request signed for another service than the API it addresses', async () => {
		const error = await refusal(lambdaSignedFor('sts').send(new InvokeCommand({ FunctionName: 'echo' })));
		expect(error).toMatchObject({ name: 'InvalidSignatureException', message: "Credential should be scoped to correct service: 'lambda'. " });
		expect(aws.log).toMatchObject([{ signingService: 'sts', status: 403, signatureValid: false }]);
	});

	it('refuses a clock more than five minutes behind, for Lambda and STS; the SDK corrects itself from the Date header', async () => {
		const late = { region: 'us-east-1', endpoint: aws.url, credentials: DEFAULT_KEY, systemClockOffset: -6 * 60_000 };
		const lambdaLate = new LambdaClient({ ...late, maxAttempts: 1 });
		const stsLate = new STSClient({ ...late, maxAttempts: 1 });
		const corrected = new LambdaClient({ ...late, maxAttempts: 2 });
		clients.push(lambdaLate, stsLate, corrected);
		const lambdaError = await refusal(lambdaLate.send(new InvokeCommand({ FunctionName: 'echo' })));
		const stsError = await refusal(stsLate.send(new GetCallerIdentityCommand({})));
		expect([lambdaError.name, stsError.name]).toEqual(['InvalidSignatureException', 'SignatureDoesNotMatch']);
		for (const error of [lambdaError, stsError]) {
			expect(error.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/);
		}
		expect((await corrected.send(new InvokeCommand({ FunctionName: 'echo' }))).StatusCode).toBe(200);
		expect(aws.log.map((entry) => entry.status)).toEqual([403, 403, 403, 200]);
	});
});

describe('Fault knobs', () => {
	it('throttles with Retry-After; the SDK retries through it', async () => {
		aws.faults.throttle(1, { retryAfterSeconds: 1 });
		await expect(lambda(DEFAULT_KEY, 1).send(new InvokeCommand({ FunctionName: 'echo' }))).rejects.toMatchObject({
			name: 'TooManyRequestsException',
		});
		aws.faults.throttle(1);
		const retried = await lambda().send(new InvokeCommand({ FunctionName: 'echo' }));
		expect(retried.StatusCode).toBe(200);
		expect(aws.log.map((entry) => entry.status)).toEqual([429, 429, 200]);
	});

	it('injects 5xx, resets and hangs, and logs each', async () => {
		aws.faults.serverError(1, { status: 503 });
		await expect(lambda(DEFAULT_KEY, 1).send(new InvokeCommand({ FunctionName: 'echo' }))).rejects.toMatchObject({
			$metadata: { httpStatusCode: 503 },
		});
		aws.faults.resetConnection(1);
		await expect(lambda(DEFAULT_KEY, 1).send(new InvokeCommand({ FunctionName: 'echo' }))).rejects.toBeDefined();
		aws.faults.hang(1);
		const hung = new LambdaClient({
			region: 'us-east-1',
			endpoint: aws.url,
			credentials: DEFAULT_KEY,
			maxAttempts: 1,
			requestHandler: { requestTimeout: 300, throwOnRequestTimeout: true },
		});
		clients.push(hung);
		await expect(hung.send(new InvokeCommand({ FunctionName: 'echo' }))).rejects.toMatchObject({ name: 'TimeoutError' });
		expect(aws.log.map((entry) => entry.fault)).toEqual(['serverError', 'resetConnection', 'hang']);
	});
});

/** What reached the client: the status and headers of the raw reply and how many body bytes arrived. */
function watchReplies(client: LambdaClient) {
	let replyArrived = () => {};
	const arrived = new Promise<void>((resolve) => (replyArrived = resolve));
	const seen = { status: 0, headers: {} as Record<string, string>, bodyBytes: 0, arrived };
	client.middlewareStack.add(
		(next) => async (args) => {
			const result = await next(args);
			const response = result.response as { statusCode: number; headers: Record<string, string>; body: Readable };
			Object.assign(seen, { status: response.statusCode, headers: response.headers });
			response.body.on('data', (chunk: Buffer) => (seen.bodyBytes += chunk.length));
			replyArrived();
			return result;
		},
		{ step: 'deserialize', priority: 'low' },
	);
	return seen;
}

async function assumedKeys() {
	const assumed = await sts().send(new AssumeRoleCommand({ RoleArn: DEFAULT_ROLE_ARN, RoleSessionName: 'faults', ExternalId: DEFAULT_EXTERNAL_ID }));
	const keys = assumed.Credentials!;
	return { accessKeyId: keys.AccessKeyId!, secretAccessKey: keys.SecretAccessKey!, sessionToken: keys.SessionToken! };
}

/** The error a call is refused with; a call that succeeds fails the test. */
async function refusal(call: Promise<unknown>): Promise<Error> {
	return await call.then(
		() => {
			throw new Error('expected the call to be refused');
		},
		(error: Error) => error,
	);
}

const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

/** The canonical request and string to sign quoted in an AWS signature refusal. */
function quotedStrings(message: string) {
	const quoted = /The Canonical String for this request should have been\n'([\s\S]*)'\n\nThe String-to-Sign should have been\n'([\s\S]*)'\n$/.exec(message);
	return { canonicalRequest: quoted?.[1] ?? '', stringToSign: quoted?.[2] ?? '' };
}

describe('Faults as networks and AWS produce them', () => {
	const bigPayload = JSON.stringify({ text: 'x'.repeat(200_000) });

	it('a reset after the function ran reaches the client after the headers: status 200 with ECONNRESET', async () => {
		aws.faults.resetConnection(1, { afterFunctionRuns: true });
		const error = await refusal(lambda(DEFAULT_KEY, 1).send(new InvokeCommand({ FunctionName: 'echo', Payload: '{"n":1}' })));
		expect(error).toMatchObject({ $metadata: { httpStatusCode: 200 } });
		expect(`${(error as { code?: string }).code} ${error.message}`).toMatch(/ECONNRESET|aborted|socket hang up/);
		expect(aws.log).toMatchObject([{ fault: 'resetConnection', status: 200, executedVersion: '$LATEST', payload: '{"n":1}' }]);
	});

	it('drops before any byte, after the headers, or midway through the body, each after the function ran', async () => {
		const reached: Array<{ status: number; length: string | undefined; bodyBytes: number }> = [];
		for (const stage of ['beforeHeaders', 'afterHeaders', 'midBody'] as const) {
			aws.faults.resetConnection(1, { afterFunctionRuns: true, stage });
			const client = lambda(DEFAULT_KEY, 1);
			const seen = watchReplies(client);
			await expect(client.send(new InvokeCommand({ FunctionName: 'echo', Payload: bigPayload }))).rejects.toBeDefined();
			reached.push({ status: seen.status, length: seen.headers['content-length'], bodyBytes: seen.bodyBytes });
		}
		const fullLength = Number(reached[1].length);
		expect(fullLength).toBeGreaterThan(200_000);
		expect(reached[0]).toEqual({ status: 0, length: undefined, bodyBytes: 0 });
		expect(reached[1]).toMatchObject({ status: 200, bodyBytes: 0 });
		expect(reached[2]).toMatchObject({ status: 200, length: String(fullLength), bodyBytes: Math.floor(fullLength / 2) });
		expect(aws.log.map((entry) => [entry.fault, entry.executedVersion])).toEqual(Array(3).fill(['resetConnection', '$LATEST']));
	});

	it('announces a huge body, sends a few bytes and holds the connection; the function does not run', async () => {
		aws.faults.announceLength(1, { bytes: 3_900_000_000 });
		const client = lambda(DEFAULT_KEY, 1);
		const seen = watchReplies(client);
		const abort = new AbortController();
		const call = client.send(new InvokeCommand({ FunctionName: 'echo' }), { abortSignal: abort.signal });
		await seen.arrived;
		abort.abort();
		await expect(call).rejects.toBeDefined();
		expect(seen).toMatchObject({ status: 200, headers: { 'content-length': '3900000000', 'x-amz-executed-version': '$LATEST' } });
		expect(seen.bodyBytes).toBeLessThan(100);
		expect(aws.log).toMatchObject([{ fault: 'announceLength', status: 200 }]);
		expect(aws.log[0].executedVersion).toBeUndefined();
	});

	it('hangs STS: the connection is accepted and never answered', async () => {
		const bounded = new STSClient({
			region: 'us-east-1',
			endpoint: aws.url,
			credentials: DEFAULT_KEY,
			maxAttempts: 1,
			requestHandler: { requestTimeout: 300, throwOnRequestTimeout: true },
		});
		clients.push(bounded);
		const assume = () => bounded.send(new AssumeRoleCommand({ RoleArn: DEFAULT_ROLE_ARN, RoleSessionName: 'hang', ExternalId: DEFAULT_EXTERNAL_ID }));
		aws.faults.hang(1, { match: { service: 'sts' } });
		await expect(assume()).rejects.toMatchObject({ name: 'TimeoutError' });
		aws.faults.hang(1, { match: { action: 'AssumeRole' } });
		await expect(assume()).rejects.toMatchObject({ name: 'TimeoutError' });
		expect(aws.log.map((entry) => [entry.service, entry.action, entry.fault, entry.status])).toEqual(Array(2).fill(['sts', 'AssumeRole', 'hang', 0]));
	});

	it('refuses a signature as AWS does, quoting the canonical request with the session token and date', async () => {
		const temporary = await assumedKeys();
		aws.faults.invalidSignature(1);
		aws.faults.invalidSignature(1, { match: { service: 'sts' } });
		const lambdaError = await refusal(lambda(temporary, 1).send(new InvokeCommand({ FunctionName: 'echo' })));
		const stsError = await refusal(sts(temporary).send(new GetCallerIdentityCommand({})));
		expect([lambdaError.name, stsError.name]).toEqual(['InvalidSignatureException', 'SignatureDoesNotMatch']);
		for (const error of [lambdaError, stsError]) {
			expect(error).toMatchObject({ $metadata: { httpStatusCode: 403 } });
			expect(error.message).toMatch(/^The request signature we calculated does not match the signature you provided\. Check your AWS Secret Access Key and signing method\. Consult the service documentation for details\.\n\n/);
			const { canonicalRequest, stringToSign } = quotedStrings(error.message);
			expect(canonicalRequest).toContain(`\nx-amz-security-token:${temporary.sessionToken}\n`);
			expect(canonicalRequest).toMatch(/\nx-amz-date:\d{8}T\d{6}Z\n/);
			expect(stringToSign.split('\n')).toEqual(['AWS4-HMAC-SHA256', expect.stringMatching(/^\d{8}T\d{6}Z$/), expect.stringMatching(/\/us-east-1\/(lambda|sts)\/aws4_request$/), sha256Hex(canonicalRequest)]);
		}
		expect(quotedStrings(lambdaError.message).canonicalRequest).toMatch(/^POST\n\/2015-03-31\/functions\/echo\/invocations\n/);
		expect(aws.log.slice(-2).map((entry) => [entry.fault, entry.status, entry.signatureValid])).toEqual(Array(2).fill(['invalidSignature', 403, true]));
	});

	it('quotes the canonical request the same way when the secret is wrong', async () => {
		const wrongSecret = { ...DEFAULT_KEY, secretAccessKey: 'not-the-secret' };
		const error = await refusal(lambda(wrongSecret, 1).send(new InvokeCommand({ FunctionName: 'echo', Qualifier: 'live' })));
		const { canonicalRequest, stringToSign } = quotedStrings(error.message);
		expect(error.name).toBe('InvalidSignatureException');
		expect(canonicalRequest).toMatch(/^POST\n\/2015-03-31\/functions\/echo\/invocations\nQualifier=live\n/);
		expect(stringToSign.split('\n').at(-1)).toBe(sha256Hex(canonicalRequest));
	});

	it('expires the assumed-role keys after a given number of signed requests, with ten calls in flight', async () => {
		const client = lambda(await assumedKeys(), 1);
		aws.clearLog();
		aws.faults.expireSessionsAfter(4);
		const calls = Array.from({ length: 10 }, () => client.send(new InvokeCommand({ FunctionName: 'slow', Payload: '{"ms":100}' })));
		const outcomes = await Promise.allSettled(calls);
		const fulfilled = outcomes.filter((outcome) => outcome.status === 'fulfilled');
		const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [(outcome.reason as Error).name] : []));
		expect(fulfilled).toHaveLength(4);
		expect(refused).toEqual(Array(6).fill('ExpiredTokenException'));
		expect(aws.log.filter((entry) => entry.status === 200).every((entry) => entry.executedVersion === '$LATEST')).toBe(true);
	});
});
