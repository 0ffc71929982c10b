/**
 * The Lambda transport on the wire: which failures an Invoke retries, where calls go, how many
 * connections and clients an execution keeps, and what an item holds while it waits for its turn.
 * Host names are resolved by an injected lookup that answers 127.0.0.1 (or fails as a resolver
 * does), so no DNS query and no packet leaves the machine.
 */
import type { LookupFunction, Server, Socket } from 'node:net';
import { connect, createServer } from 'node:net';
import { InvokeCommand, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import type { IExecuteFunctions, INode } from 'n8n-workflow';

import { operation as invokeOperation } from '../nodes/AwsLambda/actions/function/invoke.operation';
import { accessForItem } from '../nodes/AwsLambda/transport/access';
import { sendAws } from '../nodes/AwsLambda/transport/send';
import { LambdaClients, neverSent } from '../nodes/AwsLambda/transport/clients';
import { buildAccess } from '../nodes/AwsLambda/transport/credentials';
import type { AwsKey, LocalAws } from './support/aws-endpoint';
import { DEFAULT_KEY } from './support/aws-endpoint';
import { accessKeyCredential, assumeRoleCredential, invokeParameters, runLambda, useLocalAws } from './support/lambda-node';

const TENANTS: AwsKey[] = Array.from({ length: 200 }, (_, i) => ({
	accessKeyId: `AKIATENANT${String(i).padStart(10, '0')}`,
	secretAccessKey: `tenant-secret-${i}-DO-NOT-LEAK`,
}));

let aws: LocalAws;
useLocalAws({ keys: [DEFAULT_KEY, ...TENANTS] }, (server) => {
	aws = server;
});

const invokes = () => aws.log.filter((entry) => entry.action === 'Invoke');
const node: INode = {
	id: 'transport-test',
	name: 'AWS Lambda',
	type: 'n8n-nodes-aws-lambda.awsLambda',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

/** A resolver for tests: each call is answered by the next scripted behaviour (the last one repeats). */
function scriptedLookup(...script: Array<'loopback' | 'notFound' | 'never'>) {
	const asked: string[] = [];
	const lookup = ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
		const behaviour = script[Math.min(asked.length, script.length - 1)];
		asked.push(hostname);
		if (behaviour === 'never') return;
		if (behaviour === 'notFound') {
			const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
				code: 'ENOTFOUND',
				syscall: 'getaddrinfo',
				hostname,
			});
			process.nextTick(() => callback(error));
			return;
		}
		process.nextTick(() =>
			options.all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4),
		);
	}) as unknown as LookupFunction;
	return { lookup, asked };
}

/** Sends one Invoke of `echo` through the transport, as the node's run step does. */
async function invokeEcho(clients: LambdaClients, lambdaEndpoint: string | undefined, maxAttempts = 3) {
	return await sendAws(
		{ clients },
		{
			access: buildAccess(DEFAULT_KEY, { lambdaEndpoint }, undefined, 'us-east-1'),
			region: 'us-east-1',
			kind: 'invoke',
			settings: { maxAttempts },
			deadlineMs: 20_000,
			failure: { node, itemIndex: 0, action: 'Invoke echo' },
		},
		async (client, signal) => await client.send(new InvokeCommand({ FunctionName: 'echo', Payload: '{}' }), { abortSignal: signal }),
	);
}

/** A TCP relay to the local endpoint that counts the connections open through it. */
async function countingRelay(target: () => number) {
	const open = new Set<Socket>();
	let mostOpen = 0;
	let accepted = 0;
	const server: Server = createServer((socket) => {
		accepted++;
		open.add(socket);
		mostOpen = Math.max(mostOpen, open.size);
		const upstream = connect(target(), '127.0.0.1');
		socket.pipe(upstream).pipe(socket);
		const close = () => {
			open.delete(socket);
			socket.destroy();
			upstream.destroy();
		};
		socket.on('close', close).on('error', close);
		upstream.on('close', close).on('error', close);
	});
	const listen = async (port = 0) => {
		await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
		return (server.address() as { port: number }).port;
	};
	const close = async () => {
		for (const socket of open) socket.destroy();
		await new Promise((resolve) => server.close(resolve));
	};
	return { listen, close, mostOpen: () => mostOpen, accepted: () => accepted, openNow: () => open.size };
}

describe('Invoke retries only what provably did not run', () => {
	it('retries after a DNS failure, and the function runs once', async () => {
		const { lookup, asked } = scriptedLookup('notFound', 'loopback');
		const clients = new LambdaClients(1, { lookup });
		try {
			const output = await invokeEcho(clients, `http://lambda.local.test:${aws.port}`);
			expect(output.StatusCode).toBe(200);
		} finally {
			await clients.destroy();
		}
		expect(asked).toEqual(['lambda.local.test', 'lambda.local.test']);
		expect(invokes()).toHaveLength(1);
	});

	it('gives up on a name that never resolves after Max Attempts, with a clear message', async () => {
		const { lookup, asked } = scriptedLookup('notFound');
		const clients = new LambdaClients(1, { lookup });
		try {
			await expect(invokeEcho(clients, `http://lambda.local.test:${aws.port}`, 2)).rejects.toThrow(
				/Invoke echo failed \(item 0\): could not reach the AWS endpoint: the host name does not resolve/,
			);
		} finally {
			await clients.destroy();
		}
		expect(asked).toHaveLength(2);
		expect(invokes()).toHaveLength(0);
	});

	it('retries a refused connection, and the function runs once', async () => {
		// The relay starts listening only when the second attempt resolves the name: the first one met a closed port.
		const relay = await countingRelay(() => aws.port);
		const port = await relay.listen();
		await relay.close();
		const { lookup: resolve, asked } = scriptedLookup('loopback');
		const lookup = ((...args: Parameters<LookupFunction>) => {
			if (asked.length === 1) void relay.listen(port).then(() => resolve(...args));
			else resolve(...args);
		}) as LookupFunction;
		const clients = new LambdaClients(1, { lookup });
		try {
			const output = await invokeEcho(clients, `http://lambda.local.test:${port}`);
			expect(output.StatusCode).toBe(200);
		} finally {
			await clients.destroy();
			await relay.close();
		}
		expect(asked).toHaveLength(2);
		expect(invokes()).toHaveLength(1);
	});

	it('takes connect failures on every address of a dual-stack host as nothing sent, and nothing else', async () => {
		// Node's report when each address of a host refused the connection (seen from a real run).
		const refused = (address: string) =>
			Object.assign(new Error(`connect ECONNREFUSED ${address}:443`), { code: 'ECONNREFUSED', syscall: 'connect', address });
		const everyAddress = Object.assign(new AggregateError([refused('127.0.0.1'), refused('::1')]), { code: 'ECONNREFUSED' });
		expect(neverSent(everyAddress)).toBe(true);
		const oneWrote = new AggregateError([refused('127.0.0.1'), Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })]);
		expect(neverSent(oneWrote)).toBe(false);
		expect(neverSent(new AggregateError([]))).toBe(false);
	});

	it('retries a connection not established within the connect timeout, and the function runs once', async () => {
		const { lookup, asked } = scriptedLookup('never', 'loopback');
		const clients = new LambdaClients(1, { lookup, connectTimeoutMs: 300 });
		try {
			const output = await invokeEcho(clients, `http://lambda.local.test:${aws.port}`);
			expect(output.StatusCode).toBe(200);
		} finally {
			await clients.destroy();
		}
		expect(asked).toHaveLength(2);
		expect(invokes()).toHaveLength(1);
	});
});

describe('Time limit of one attempt', () => {
	it('ends a read that gets no answer within its limit, instead of only warning about it', async () => {
		aws.faults.hang(1, { match: { action: 'ListFunctions' } });
		const clients = new LambdaClients(1);
		let giveUp: NodeJS.Timeout | undefined;
		try {
			const access = buildAccess(DEFAULT_KEY, { lambdaEndpoint: aws.url }, undefined, 'us-east-1');
			const client = await clients.get(access, 'us-east-1', 'read', { timeoutMs: 300, maxAttempts: 1 });
			const outcome = await Promise.race([
				client.send(new ListFunctionsCommand({})).then(
					() => 'answered',
					(error: Error) => error.name,
				),
				new Promise((resolve) => (giveUp = setTimeout(resolve, 5_000, 'still waiting after 5 s'))),
			]);
			expect(outcome).toBe('TimeoutError');
		} finally {
			clearTimeout(giveUp);
			await clients.destroy();
		}
	});
});

describe('Endpoints', () => {
	it('ignores AWS_ENDPOINT_URL_LAMBDA: without Custom Endpoints a call goes to AWS, never where the host environment says', async () => {
		const saved = process.env.AWS_ENDPOINT_URL_LAMBDA;
		process.env.AWS_ENDPOINT_URL_LAMBDA = aws.url;
		// AWS's own host name resolves to loopback here, where nothing listens on 443: the call fails without leaving the machine.
		const { lookup, asked } = scriptedLookup('loopback');
		const clients = new LambdaClients(1, { lookup });
		try {
			await expect(invokeEcho(clients, undefined, 1)).rejects.toThrow(/could not reach the AWS endpoint/);
		} finally {
			await clients.destroy();
			if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_LAMBDA;
			else process.env.AWS_ENDPOINT_URL_LAMBDA = saved;
		}
		expect(asked).toEqual(['lambda.us-east-1.amazonaws.com']);
		expect(aws.log).toHaveLength(0);
	});
});

describe('Bounded resources', () => {
	it('keeps no more connections open than the Concurrency, with 200 identities in one execution', async () => {
		const relay = await countingRelay(() => aws.port);
		const port = await relay.listen();
		try {
			const result = await runLambda(aws, {
				parameters: invokeParameters('echo', {
					options: { concurrency: 10 },
					dynamicCredentials: { accessKeyId: '={{ $json.keyId }}', secretAccessKey: '={{ $json.secret }}' },
				}),
				items: TENANTS.map((key) => ({ keyId: key.accessKeyId, secret: key.secretAccessKey })),
				credentials: { awsLambdaAccessKeyApi: accessKeyCredential(aws, DEFAULT_KEY, { lambdaEndpoint: `http://127.0.0.1:${port}` }) },
			});
			expect(result.error).toBeUndefined();
			expect(result.items).toHaveLength(200);
			expect(new Set(invokes().map((entry) => entry.accessKeyId)).size).toBe(200);
			expect(relay.mostOpen()).toBeLessThanOrEqual(10);
		} finally {
			await relay.close();
		}
	});

	it('reuses one connection for the items of an execution, and closes it when the execution ends', async () => {
		const relay = await countingRelay(() => aws.port);
		const port = await relay.listen();
		try {
			const result = await runLambda(aws, {
				parameters: invokeParameters('echo', { options: { concurrency: 1 } }),
				items: [{}, {}, {}, {}, {}],
				credentials: { awsLambdaAccessKeyApi: accessKeyCredential(aws, DEFAULT_KEY, { lambdaEndpoint: `http://127.0.0.1:${port}` }) },
			});
			expect(result.items).toHaveLength(5);
			expect(invokes()).toHaveLength(5);
			expect(relay.accepted()).toBe(1);
			// The execution's pool is destroyed at its end: no idle connection waits for the next one.
			await new Promise((resolve) => setTimeout(resolve, 200));
			expect(relay.openNow()).toBe(0);
		} finally {
			await relay.close();
		}
	});

	it('keeps only the most recently used clients, and a retired client is replaced', async () => {
		const clients = new LambdaClients(1, { maxCachedClients: 3 });
		const clientOf = async (key: AwsKey) =>
			await clients.get(buildAccess(key, { lambdaEndpoint: aws.url }, undefined, 'us-east-1'), 'us-east-1', 'invoke', { maxAttempts: 1 });
		try {
			const first = await clientOf(TENANTS[0]);
			expect(await clientOf(TENANTS[0])).toBe(first);
			// As many identities as the bound: all of them stay.
			for (const key of TENANTS.slice(1, 3)) await clientOf(key);
			expect(await clientOf(TENANTS[0])).toBe(first);
			for (const key of TENANTS.slice(1, 4)) await clientOf(key);
			expect(await clientOf(TENANTS[0])).not.toBe(first);

			const current = await clientOf(TENANTS[1]);
			clients.retire(first);
			expect(await clientOf(TENANTS[1])).toBe(current);
			clients.retire(current);
			expect(await clientOf(TENANTS[1])).not.toBe(current);
		} finally {
			await clients.destroy();
		}
	});

	it('reads the selected credential once per execution, however many items use it', async () => {
		let reads = 0;
		const execute = {
			getNode: () => ({ ...node, credentials: { awsLambdaAccessKeyApi: { id: '1', name: 'AWS' } } }),
			getNodeParameter: (_name: string, _item: number, fallback?: unknown) => fallback,
			getCredentials: async () => {
				reads++;
				return accessKeyCredential(aws);
			},
			getExecutionCancelSignal: () => undefined,
		} as unknown as IExecuteFunctions;
		for (let itemIndex = 0; itemIndex < 3; itemIndex++) {
			expect((await accessForItem(execute, itemIndex, 'us-east-1')).secrets).toContain(DEFAULT_KEY.secretAccessKey);
		}
		expect(reads).toBe(1);
	});

	it('prepares an item without holding its payload text', async () => {
		const marker = 'payload-marker-'.repeat(1000);
		const parameters: Record<string, unknown> = {
			...invokeParameters('echo'),
			payload: JSON.stringify({ marker }),
		};
		const execute = {
			getNode: () => ({ ...node, credentials: { awsLambdaAccessKeyApi: { id: '1', name: 'AWS' } } }),
			getNodeParameter: (name: string, _item: number, fallback?: unknown) => parameters[name] ?? fallback,
			getInputData: () => [{ json: {} }],
			getCredentials: async () => accessKeyCredential(aws),
			getExecutionCancelSignal: () => undefined,
		} as unknown as IExecuteFunctions;
		const prepared = await invokeOperation.prepare(execute, 0);
		expect(prepared.input.FunctionName).toBe('echo');
		expect(JSON.stringify(prepared)).not.toContain('payload-marker');
	});
});

describe('Expired sessions', () => {
	it('renews an expired assumed-role session without cutting off the calls in flight', async () => {
		const assumeRoleCalls = () => aws.log.filter((entry) => entry.action === 'AssumeRole');
		// The first AssumeRole and 10 invocations pass; every later request with those keys is expired.
		aws.faults.expireSessionsAfter(11);
		const result = await runLambda(aws, {
			parameters: invokeParameters('slow', {
				authentication: 'assumeRole',
				payload: '={{ JSON.stringify({ ms: 150, item: $itemIndex }) }}',
				options: { concurrency: 10 },
			}),
			items: Array.from({ length: 20 }, (_, i) => ({ i })),
			credentials: { awsLambdaAssumeRoleApi: assumeRoleCredential(aws, { roleSessionName: 'expiry-in-flight' }) },
			continueOnFail: true,
		});
		expect(result.items.filter((item) => 'error' in item.json)).toEqual([]);
		const ran = invokes().filter((entry) => entry.status === 200);
		expect(ran.map((entry) => JSON.parse(entry.payload ?? '{}').item).sort((a, b) => a - b)).toEqual(
			Array.from({ length: 20 }, (_, i) => i),
		);
		expect(invokes().some((entry) => entry.errorType === 'ExpiredTokenException')).toBe(true);
		expect(assumeRoleCalls()).toHaveLength(2);
	});
});
