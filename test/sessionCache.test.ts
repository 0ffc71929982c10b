/**
 * The session cache on its own: which session it keeps, renews and drops, and which issued secrets
 * it remembers for redaction. Time is fixed with a spy on Date.now, so the bounds are exact.
 */
import { getEventListeners } from 'node:events';
import type { AwsCredentialIdentity } from '@aws-sdk/types';

import { SessionCache } from '../nodes/AwsLambda/transport/sessions';

const NOW = Date.UTC(2026, 10, 25, 12);
let now = NOW;
beforeEach(() => {
	now = NOW;
	jest.spyOn(Date, 'now').mockImplementation(() => now);
});
afterEach(() => jest.restoreAllMocks());

function session(name: string, expiresInMs = 3_600_000): AwsCredentialIdentity {
	return { accessKeyId: `ASIA${name}`, secretAccessKey: `secret-${name}`, sessionToken: `token-${name}`, expiration: new Date(now + expiresInMs) };
}

/** An issuer that counts its calls and answers with the next named session. */
function issuer(...names: string[]) {
	let calls = 0;
	const issue = async () => session(names[Math.min(calls++, names.length - 1)]);
	return { issue, calls: () => calls };
}

describe('SessionCache', () => {
	it('renews a session with exactly the refresh margin left, and keeps one with a millisecond more', async () => {
		const cache = new SessionCache(10, 60_000);
		const roles = issuer('A', 'B', 'C');
		await cache.get('role', async () => ({ ...(await roles.issue()), expiration: new Date(now + 60_001) }));
		await cache.get('role', roles.issue);
		expect(roles.calls()).toBe(1);
		now += 1;
		await cache.get('role', roles.issue);
		expect(roles.calls()).toBe(2);
	});

	it('remembers the secrets of the last three sessions of a key, newest first', async () => {
		const cache = new SessionCache(10, 60_000);
		for (const name of ['A', 'B', 'C', 'D']) {
			await cache.get('role', async () => session(name, 0));
		}
		expect(cache.secretsOf('role')).toEqual(['secret-D', 'token-D', 'secret-C', 'token-C', 'secret-B', 'token-B']);
	});

	it('drops expired sessions before the least recently used live one', async () => {
		const cache = new SessionCache(2, 0);
		const kept = issuer('KEPT', 'KEPT-AGAIN');
		await cache.get('kept', kept.issue);
		await cache.get('expiring', async () => session('EXPIRING', 1_000));
		// Expired at this very millisecond.
		now += 1_000;
		await cache.get('new', async () => session('NEW'));
		await cache.get('kept', kept.issue);
		expect(kept.calls()).toBe(1);
	});

	it('keeps as many sessions as its bound', async () => {
		const cache = new SessionCache(2, 0);
		const first = issuer('FIRST');
		await cache.get('first', first.issue);
		await cache.get('second', async () => session('SECOND'));
		await cache.get('first', first.issue);
		expect(first.calls()).toBe(1);
	});

	it('leaves no listener on the execution signal once a caller has its session', async () => {
		const cache = new SessionCache(10, 0);
		const execution = new AbortController();
		for (let call = 0; call < 3; call++) await cache.get('role', async () => session('A'), execution.signal);
		expect(getEventListeners(execution.signal, 'abort')).toHaveLength(0);
	});

	it('keeps the newer session when an older, dropped attempt for the same key fails late', async () => {
		const cache = new SessionCache(1, 0);
		let failLate: (error: Error) => void = () => undefined;
		const late = cache.get('role', async () => await new Promise<AwsCredentialIdentity>((_resolve, reject) => (failLate = reject)));
		// Another key pushes the pending one out (bound 1); the role is then issued anew.
		await cache.get('other', async () => session('OTHER'));
		const roles = issuer('B', 'C');
		await cache.get('role', roles.issue);
		failLate(new Error('AssumeRole timed out'));
		await expect(late).rejects.toThrow('AssumeRole timed out');
		await cache.get('role', roles.issue);
		expect(roles.calls()).toBe(1);
	});
});
