import type { AwsCredentialIdentity } from '@aws-sdk/types';

interface Session {
	identity: Promise<AwsCredentialIdentity>;
	/** Set once AssumeRole answered; until then the session is pending. */
	issued?: AwsCredentialIdentity;
}

/**
 * How many superseded sessions of one key stay redacted: a call signed with an old session can
 * still fail after the session was renewed, and its error quotes the old token.
 */
const REMEMBERED_SESSIONS_PER_KEY = 3;

/**
 * Assumed-role sessions shared by every item, client and execution of the process, so concurrent
 * items wait for one AssumeRole call instead of each making one. Bounded: least recently used
 * sessions beyond `maxSessions` are dropped, expired ones first.
 */
export class SessionCache {
	private readonly sessions = new Map<string, Session>();
	/** The temporary secrets and tokens issued per key, newest first, for redaction. */
	private readonly issuedSecrets = new Map<string, string[]>();

	constructor(
		private readonly maxSessions: number,
		/** A session with less than this left is renewed, so no request is signed with keys about to lapse. */
		private readonly refreshMarginMs: number,
	) {}

	/**
	 * The session of `key`, issuing one when there is none (or it is about to expire). A caller that
	 * gives up (its signal aborts) stops waiting; the shared call goes on for the others and is bounded
	 * by `issue` itself. A call that fails is dropped, so the next caller tries again.
	 */
	async get(key: string, issue: () => Promise<AwsCredentialIdentity>, signal?: AbortSignal): Promise<AwsCredentialIdentity> {
		const session = this.usable(key) ?? this.start(key, issue);
		return await untilAborted(session.identity, signal);
	}

	/**
	 * Drops the session AWS rejected, unless the cache already holds another one (renewed by an item
	 * whose call failed first): throwing that away would cost a needless AssumeRole.
	 */
	forget(key: string, rejectedAccessKeyId: string): void {
		if (this.sessions.get(key)?.issued?.accessKeyId === rejectedAccessKeyId) this.sessions.delete(key);
	}

	secretsOf(key: string): string[] {
		return this.issuedSecrets.get(key) ?? [];
	}

	/** The secrets issued under every key, for a caller that cannot tell which key signed. */
	allSecrets(): string[] {
		return [...this.issuedSecrets.values()].flat();
	}

	private usable(key: string): Session | undefined {
		const session = this.sessions.get(key);
		if (!session || (session.issued && this.needsRenewal(session.issued, Date.now()))) return undefined;
		touch(this.sessions, key, session);
		return session;
	}

	private start(key: string, issue: () => Promise<AwsCredentialIdentity>): Session {
		const session: Session = { identity: issue() };
		this.dropExpired(Date.now());
		touch(this.sessions, key, session, this.maxSessions);
		session.identity.then(
			(identity) => {
				session.issued = identity;
				this.rememberSecrets(key, identity);
			},
			() => {
				if (this.sessions.get(key) === session) this.sessions.delete(key);
			},
		);
		return session;
	}

	private rememberSecrets(key: string, identity: AwsCredentialIdentity): void {
		const fresh = [identity.secretAccessKey, identity.sessionToken].filter((value): value is string => !!value);
		const kept = [...fresh, ...this.secretsOf(key)].slice(0, REMEMBERED_SESSIONS_PER_KEY * 2);
		touch(this.issuedSecrets, key, kept, this.maxSessions);
	}

	private needsRenewal(identity: AwsCredentialIdentity, now: number): boolean {
		return (identity.expiration?.getTime() ?? 0) - now <= this.refreshMarginMs;
	}

	private dropExpired(now: number): void {
		for (const [key, session] of this.sessions) {
			if (session.issued && (session.issued.expiration?.getTime() ?? 0) <= now) this.sessions.delete(key);
		}
	}
}

/** Makes `key` the most recently used entry; beyond `max` entries, the least recently used go. */
export function touch<Value>(map: Map<string, Value>, key: string, value: Value, max = Number.POSITIVE_INFINITY): void {
	map.delete(key);
	map.set(key, value);
	for (const oldest of map.keys()) {
		if (map.size <= max) break;
		map.delete(oldest);
	}
}

async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
	if (!signal) return await promise;
	signal.throwIfAborted();
	let stopWaiting: (reason: unknown) => void = () => undefined;
	const aborted = new Promise<never>((_, reject) => {
		stopWaiting = reject;
	});
	const onAbort = () => stopWaiting(signal.reason);
	signal.addEventListener('abort', onAbort, { once: true });
	try {
		return await Promise.race([promise, aborted]);
	} finally {
		signal.removeEventListener('abort', onAbort);
	}
}
