/** The local endpoint's SigV4 verifier on its own: requests signed by the real SDK, tampered copies, AWS's published example. */
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer } from 'node:http';

import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

import { DEFAULT_KEY } from './support/aws-endpoint';
import type { KeyRecord, ReceivedRequest, VerifyOptions } from './support/aws-endpoint/sigv4';
import { checkSignature, signingKey } from './support/aws-endpoint/sigv4';

const key: KeyRecord = { ...DEFAULT_KEY, principalArn: 'arn:aws:iam::123456789012:user/n8n-local', userId: 'AIDALOCAL', accountId: '123456789012' };
const lookup = (accessKeyId: string) => (accessKeyId === key.accessKeyId ? key : undefined);

/** Requests exactly as they arrived on a loopback server, which answers each with an empty JSON object. */
let received: ReceivedRequest[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
	server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			const [rawPath, rawQuery = ''] = (req.url ?? '/').split('?');
			received.push({ method: req.method ?? 'GET', rawPath, rawQuery, headers: req.headers, body: Buffer.concat(chunks) });
			res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => await new Promise((resolve) => server.close(resolve)));
beforeEach(() => {
	received = [];
});

/** An Invoke the real Lambda client signed: ARN path (double-encoded in the canonical form), query, headers, body. */
async function sdkSignedInvoke(): Promise<ReceivedRequest> {
	const client = new LambdaClient({ region: 'us-east-1', endpoint: url, credentials: DEFAULT_KEY, maxAttempts: 1 });
	try {
		await client.send(
			new InvokeCommand({
				FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:echo',
				Qualifier: 'live',
				InvocationType: 'RequestResponse',
				LogType: 'Tail',
				Payload: '{"greeting":"hello world"}',
			}),
		);
	} finally {
		client.destroy();
	}
	return received[received.length - 1];
}

async function sdkSignedStsCall(): Promise<ReceivedRequest> {
	const client = new STSClient({ region: 'us-east-1', endpoint: url, credentials: DEFAULT_KEY, maxAttempts: 1 });
	// The capture server's `{}` is no STS answer: only the request matters here.
	await client.send(new GetCallerIdentityCommand({})).catch(() => undefined);
	client.destroy();
	return received[received.length - 1];
}

const signedAt = (request: ReceivedRequest) => {
	const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(String(request.headers['x-amz-date']));
	return Date.UTC(Number(m?.[1]), Number(m?.[2]) - 1, Number(m?.[3]), Number(m?.[4]), Number(m?.[5]), Number(m?.[6]));
};

function verify(request: ReceivedRequest, options: VerifyOptions = {}) {
	return checkSignature(request, lookup, { expectedService: 'lambda', now: signedAt(request), ...options });
}

function withHeaders(request: ReceivedRequest, changes: IncomingHttpHeaders): ReceivedRequest {
	return { ...request, headers: { ...request.headers, ...changes } };
}

function withScope(request: ReceivedRequest, from: string, to: string): ReceivedRequest {
	return withHeaders(request, { authorization: String(request.headers.authorization).replace(from, to) });
}

describe('requests signed by the real SDK', () => {
	it('verify, for Lambda (ARN in the path, query, headers, body) and for STS (form POST)', async () => {
		const invoke = await sdkSignedInvoke();
		expect(invoke.rawPath).toBe('/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Aecho/invocations');
		const checked = verify(invoke);
		expect(checked.problem).toBeUndefined();
		expect(checked).toMatchObject({ accessKeyId: DEFAULT_KEY.accessKeyId, region: 'us-east-1', service: 'lambda' });
		expect(checked.canonical?.request.split('\n').slice(0, 3)).toEqual([
			'POST',
			'/2015-03-31/functions/arn%253Aaws%253Alambda%253Aus-east-1%253A123456789012%253Afunction%253Aecho/invocations',
			'Qualifier=live',
		]);
		const stsCall = await sdkSignedStsCall();
		const stsChecked = verify(stsCall, { expectedService: 'sts' });
		expect([stsChecked.service, stsChecked.problem]).toEqual(['sts', undefined]);
	});

	it('fail once a signed header, the body, the query or the path is changed', async () => {
		const invoke = await sdkSignedInvoke();
		const tampered: ReceivedRequest[] = [
			withHeaders(invoke, { 'x-amz-invocation-type': 'Event' }),
			{ ...invoke, body: Buffer.from('{"greeting":"hello World"}') },
			{ ...invoke, rawQuery: 'Qualifier=2' },
			{ ...invoke, rawPath: invoke.rawPath.replace('echo', 'fail') },
		];
		expect(tampered.map((request) => verify(request).problem)).toEqual(Array(4).fill('bad-signature'));
		expect(verify(withHeaders(invoke, { 'user-agent': 'changed, but never signed' })).problem).toBeUndefined();
	});

	it('fail when the scope names another service or region than the one signed, or the API is another service', async () => {
		const invoke = await sdkSignedInvoke();
		expect(verify(withScope(invoke, '/us-east-1/lambda/', '/us-east-1/sts/'), { expectedService: undefined }).problem).toBe('bad-signature');
		expect(verify(withScope(invoke, '/us-east-1/lambda/', '/us-west-2/lambda/')).problem).toBe('bad-signature');
		expect(verify(invoke, { expectedService: 'sts' })).toMatchObject({
			problem: 'wrong-service',
			message: "Credential should be scoped to correct service: 'sts'. ",
		});
	});

	it('fail more than five minutes away from the server clock, in either direction, as AWS words it', async () => {
		const invoke = await sdkSignedInvoke();
		const at = signedAt(invoke);
		expect(verify(invoke, { now: at + 5 * 60_000 }).problem).toBeUndefined();
		expect(verify(invoke, { now: at + 6 * 60_000 })).toMatchObject({
			problem: 'skewed',
			message: `Signature expired: ${invoke.headers['x-amz-date']} is now earlier than ${amzDate(at + 60_000)} (${amzDate(at + 6 * 60_000)} - 5 min.)`,
		});
		expect(verify(invoke, { now: at - 6 * 60_000 }).message).toMatch(/^Signature not yet current: \d{8}T\d{6}Z is still later than/);
	});
});

function amzDate(time: number): string {
	return new Date(time).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

describe("AWS's published SigV4 example (GET iam ListUsers)", () => {
	const documented = {
		accessKeyId: 'AKIDEXAMPLE',
		secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
		signature: '5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
		canonicalRequestHash: 'f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59',
		signingKey: 'c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9',
	};
	const request = (signature: string): ReceivedRequest => ({
		method: 'GET',
		rawPath: '/',
		rawQuery: 'Action=ListUsers&Version=2010-05-08',
		headers: {
			host: 'iam.amazonaws.com',
			'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
			'x-amz-date': '20150830T123600Z',
			authorization: `AWS4-HMAC-SHA256 Credential=${documented.accessKeyId}/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=${signature}`,
		},
		body: Buffer.alloc(0),
	});
	const documentedKey: KeyRecord = { ...key, accessKeyId: documented.accessKeyId, secretAccessKey: documented.secretAccessKey };
	const options = { expectedService: 'iam', now: Date.UTC(2015, 7, 30, 12, 36, 0) };

	it('derives the documented signing key and accepts the documented signature', () => {
		expect(signingKey(documented.secretAccessKey, '20150830', 'us-east-1', 'iam').toString('hex')).toBe(documented.signingKey);
		const checked = checkSignature(request(documented.signature), () => documentedKey, options);
		expect(checked.problem).toBeUndefined();
		expect(checked.canonical?.stringToSign).toBe(`AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n${documented.canonicalRequestHash}`);
	});

	it('refuses any other signature for it', () => {
		const other = `${documented.signature.slice(0, -1)}8`;
		expect(checkSignature(request(other), () => documentedKey, options).problem).toBe('bad-signature');
	});
});
