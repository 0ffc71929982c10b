/** The local endpoint itself, driven by the real AWS SDK clients: it must speak the protocols as AWS does. */
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
		expect(names).toHaveLength(131);
		expect(new Set(names).size).toBe(131);
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
