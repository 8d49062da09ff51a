import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { StoredCredential, TokenStore } from './token-store.js';

/** What a fetch from WeChat yields: the credential and how long it stays valid. */
export interface FetchedCredential {
  value: string;
  expiresInSeconds: number;
}

/**
 * Fetches a new credential from WeChat. `forceRefresh` asks WeChat for a brand-new one even if the current one has
 * not expired (which invalidates the current one); it is only requested when a fresh credential is rejected.
 */
export type FetchCredential = (forceRefresh: boolean) => Promise<FetchedCredential>;

/** A stored credential and whether it is within the refresh-ahead window. */
export interface CredentialSnapshot extends StoredCredential {
  refreshDue: boolean;
}

export interface CredentialManagerOptions {
  store: TokenStore;
  /** The credential's store key (see `credential-keys.ts`); also the name of its lock. */
  key: string;
  fetchCredential: FetchCredential;
  /** Refresh this long before expiry (default and minimum 300 s, as WeChat rotates tokens in their last 5 minutes). */
  refreshAheadSeconds?: number;
  /** Lifetime of the cross-instance lock around a fetch; must exceed the longest fetch (default 20 s). */
  lockTtlMs?: number;
  /** How long a caller waits for another instance's fetch before failing (default 25 s, beyond `lockTtlMs` so a dead holder is outlived). */
  lockWaitMs?: number;
  /** How often the store is read while another instance fetches (default 100 ms). */
  pollIntervalMs?: number;
  /** Least time between two forced refreshes of the key, across instances (default 30 s, WeChat's own limit). */
  forceRefreshIntervalMs?: number;
  /** A credential rejected within this time after its fetch counts as "a fresh credential still fails" (default 60 s). */
  recentFetchMs?: number;
  /** While the cached credential is still valid, a failed refresh ahead of expiry is retried no sooner than this (default 5 s). */
  retryAfterFailureMs?: number;
  log: Logger;
  /** Clock in epoch milliseconds (tests move it forward); default `Date.now`. */
  now?: () => number;
}

export const MIN_REFRESH_AHEAD_SECONDS = 300;

/** No fresh credential appeared while another instance held the lock. */
export class CredentialWaitTimeoutError extends Error {
  override readonly name = 'CredentialWaitTimeoutError';
  readonly key: string;

  constructor(key: string, waitedMs: number) {
    super(`timed out after ${waitedMs} ms waiting for another instance to refresh ${key}; is WeChat reachable from that instance?`);
    this.key = key;
  }
}

/** Least time between two normal re-fetches of a rejected, freshly fetched credential while forcing is throttled. */
const RECHECK_INTERVAL_MS = 5_000;

/** A forced refresh was asked for sooner than `forceRefreshIntervalMs` after the previous one. */
export class ForceRefreshThrottledError extends Error {
  override readonly name = 'ForceRefreshThrottledError';

  constructor(key: string, intervalMs: number) {
    super(`${key} was force-refreshed less than ${Math.round(intervalMs / 1000)} s ago; try again later`);
  }
}

/** What to do once the store's lock is held, given what the store holds then. */
type Decision = { use: StoredCredential } | { fetch: 'normal' | 'force' };

/** Decides under the lock; may itself act on the store (compare-and-delete, force-refresh gate). */
type Decide = (current: StoredCredential | undefined) => Promise<Decision>;

/** Whether a credential seen while another instance holds the lock ends the wait. */
type EndsWait = (credential: StoredCredential) => boolean;

/**
 * One credential shared by every caller of every instance that uses the same store (access token, jsapi ticket).
 *
 * - It is served from the store until it enters the refresh-ahead window (`refreshAheadSeconds` before expiry, but
 *   never more than half its lifetime, so a credential WeChat hands out with little time left is not fetched again
 *   on every call).
 * - Then one refresh runs per process (concurrent callers share it). It takes the store's lock, reads the store
 *   again (another instance may have refreshed meanwhile), fetches, stores and releases. While another instance
 *   holds the lock, a still-valid credential is served as it is; without one, the store is polled until a fresh
 *   credential appears or `lockWaitMs` passes (then `CredentialWaitTimeoutError`). A holder that died loses the
 *   lock after `lockTtlMs`, and a waiter takes over.
 * - A refresh that fails while the cached credential is still valid is logged and the cached one served.
 *
 * Refreshes, replacements of rejected credentials and explicit refreshes of one manager run one at a time, each
 * deciding under the store's lock on what the store holds then.
 */
export class CredentialManager {
  readonly key: string;
  readonly #store: TokenStore;
  readonly #fetchCredential: FetchCredential;
  readonly #refreshAheadMs: number;
  readonly #lockTtlMs: number;
  readonly #lockWaitMs: number;
  readonly #pollIntervalMs: number;
  readonly #forceRefreshIntervalMs: number;
  readonly #recentFetchMs: number;
  readonly #retryAfterFailureMs: number;
  readonly #log: Logger;
  readonly #now: () => number;
  /** Serializes this manager's refresh work. */
  #queue: Promise<unknown> = Promise.resolve();
  #pendingRefresh: Promise<StoredCredential> | undefined;
  readonly #pendingReplacements = new Map<string, Promise<string>>();
  #refreshFailedAt: number | undefined;

  constructor(options: CredentialManagerOptions) {
    const refreshAheadSeconds = options.refreshAheadSeconds ?? MIN_REFRESH_AHEAD_SECONDS;
    if (!(refreshAheadSeconds >= MIN_REFRESH_AHEAD_SECONDS)) {
      throw new RangeError(`refreshAheadSeconds must be at least ${MIN_REFRESH_AHEAD_SECONDS}, got ${refreshAheadSeconds}`);
    }
    this.key = options.key;
    this.#store = options.store;
    this.#fetchCredential = options.fetchCredential;
    this.#refreshAheadMs = refreshAheadSeconds * 1000;
    this.#lockTtlMs = options.lockTtlMs ?? 20_000;
    this.#lockWaitMs = options.lockWaitMs ?? 25_000;
    this.#pollIntervalMs = options.pollIntervalMs ?? 100;
    this.#forceRefreshIntervalMs = options.forceRefreshIntervalMs ?? 30_000;
    this.#recentFetchMs = options.recentFetchMs ?? 60_000;
    this.#retryAfterFailureMs = options.retryAfterFailureMs ?? 5_000;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
  }

  /** The credential to use now; fetched (once, shared) when missing or due for refresh. */
  async get(): Promise<string> {
    const current = await this.#store.get(this.key);
    if (current !== undefined && (!this.isRefreshDue(current) || this.#failedMoments())) return current.value;
    try {
      return (await this.#sharedRefresh()).value;
    } catch (error) {
      if (current === undefined || current.expiresAt <= this.#now()) throw error;
      this.#log.warn({ key: this.key, expiresAt: current.expiresAt, error: describeError(error) }, 'refresh ahead of expiry failed; the current credential is still valid and used meanwhile');
      return current.value;
    }
  }

  /** Drops `value` from the store if it is still the stored one (compare-and-delete); resolves whether it was. */
  invalidate(value: string): Promise<boolean> {
    return this.#store.deleteIfValue(this.key, value);
  }

  /**
   * Called when WeChat rejected `value` (40001/40014/42001); resolves the credential to retry with. Decided under
   * the store's lock, on what the store holds then:
   * - another value, or `value` fetched again after this call (by another caller or instance): that one;
   * - `value`, fetched a while ago: dropped (compare-and-delete) and fetched again in normal mode;
   * - `value`, fetched within `recentFetchMs` before this call, i.e. a fresh credential is rejected too: fetched
   *   with `forceRefresh`, at most once per `forceRefreshIntervalMs` across instances; more often, `value` itself.
   * Concurrent calls for the same value share one answer.
   */
  refreshAfterInvalid(value: string): Promise<string> {
    let pending = this.#pendingReplacements.get(value);
    if (pending === undefined) {
      const reportedAt = this.#now();
      pending = this.#exclusive(async () => (await this.#replaceRejected(value, reportedAt)).value).finally(() => this.#pendingReplacements.delete(value));
      this.#pendingReplacements.set(value, pending);
    }
    return pending;
  }

  /**
   * Fetches now whatever the cache holds (operator action: `wx-backend token refresh`, admin API). `force` asks
   * WeChat for a new credential, invalidating the current one; it throws `ForceRefreshThrottledError` within
   * `forceRefreshIntervalMs` of the previous forced refresh.
   */
  refresh(options: { force?: boolean } = {}): Promise<StoredCredential> {
    const forceRefresh = options.force === true;
    return this.#exclusive(async () => {
      if (forceRefresh && !(await this.#takeForceRefreshGate())) throw new ForceRefreshThrottledError(this.key, this.#forceRefreshIntervalMs);
      return this.#underLock(async () => ({ fetch: forceRefresh ? 'force' : 'normal' }), () => false);
    });
  }

  /** The stored credential without fetching anything, for status reports. */
  async peek(): Promise<CredentialSnapshot | undefined> {
    const current = await this.#store.get(this.key);
    return current === undefined ? undefined : { ...current, refreshDue: this.isRefreshDue(current) };
  }

  isRefreshDue(credential: StoredCredential): boolean {
    const lifetimeMs = credential.expiresAt - credential.obtainedAt;
    return this.#now() >= credential.expiresAt - Math.min(this.#refreshAheadMs, lifetimeMs / 2);
  }

  #sharedRefresh(): Promise<StoredCredential> {
    this.#pendingRefresh ??= this.#exclusive(async () => {
      // Queued behind other work, which has often done this already: then no lock is needed.
      const cached = await this.#store.get(this.key);
      if (cached !== undefined && !this.isRefreshDue(cached)) return cached;
      return this.#underLock(
        async (current) => (current !== undefined && !this.isRefreshDue(current) ? { use: current } : { fetch: 'normal' }),
        // Any valid credential will do while another instance refreshes it.
        () => true,
      );
    }).finally(() => {
      this.#pendingRefresh = undefined;
    });
    return this.#pendingRefresh;
  }

  /**
   * Everything is decided under the lock, on what the store holds then: concurrent reports of one rejection by
   * several instances are thus handled one after the other, and only the first one fetches.
   */
  #replaceRejected(rejected: string, reportedAt: number): Promise<StoredCredential> {
    // Fetched after this rejection was reported: a replacement, even if WeChat handed out the same value again.
    const isReplacement = (credential: StoredCredential): boolean => credential.value !== rejected || credential.obtainedAt > reportedAt;
    return this.#underLock(async (current) => {
      if (current === undefined) return { fetch: 'normal' };
      if (isReplacement(current)) return { use: current };
      if (reportedAt - current.obtainedAt >= this.#recentFetchMs) {
        await this.#store.deleteIfValue(this.key, rejected);
        this.#log.info({ key: this.key }, 'WeChat rejected the cached credential; dropped it and fetching again');
        return { fetch: 'normal' };
      }
      if (await this.#takeForceRefreshGate()) {
        this.#log.warn({ key: this.key }, 'WeChat rejected a freshly fetched credential; forcing a refresh');
        return { fetch: 'force' };
      }
      // A forced refresh happened moments ago, so this one may be rejected because the account's credentials were
      // reset since (AppSecret changed, tokens revoked): a normal fetch then returns a new value. At most once per
      // RECHECK_INTERVAL_MS, so a credential WeChat keeps rejecting cannot turn every call into a fetch.
      if (await this.#store.acquireLock(`recheck:${this.key}`, RECHECK_INTERVAL_MS)) {
        this.#log.warn({ key: this.key }, 'WeChat rejected a freshly fetched credential right after a forced refresh; fetching again in normal mode');
        return { fetch: 'normal' };
      }
      this.#log.warn({ key: this.key, forceRefreshIntervalMs: this.#forceRefreshIntervalMs }, 'WeChat rejected a freshly fetched credential, but it was refreshed moments ago; keeping the current one');
      return { use: current };
    }, isReplacement);
  }

  /** Takes the gate that allows one forced refresh per interval across instances; it is never released. */
  async #takeForceRefreshGate(): Promise<boolean> {
    return (await this.#store.acquireLock(`force_refresh:${this.key}`, this.#forceRefreshIntervalMs)) !== undefined;
  }

  /**
   * Takes the store's lock, reads the store, lets `decide` choose between what is stored and a fetch, and releases.
   * While another instance holds the lock, the store is polled until `endsWait` accepts what it holds or the lock
   * can be taken, for at most `lockWaitMs`.
   */
  async #underLock(decide: Decide, endsWait: EndsWait): Promise<StoredCredential> {
    // Real time, not `now`: a test's frozen clock must not make the wait endless.
    const waitEndsAt = performance.now() + this.#lockWaitMs;
    for (;;) {
      const lock = await this.#store.acquireLock(this.key, this.#lockTtlMs);
      if (lock !== undefined) {
        try {
          const decision = await decide(await this.#store.get(this.key));
          return 'use' in decision ? decision.use : await this.#fetchAndStore(decision.fetch === 'force');
        } finally {
          await lock.release().then(
            (released) => {
              if (!released) this.#log.warn({ key: this.key, lockTtlMs: this.#lockTtlMs }, 'the fetch outlasted its lock; raise lockTtlMs above the longest fetch');
            },
            (error: unknown) => this.#log.warn({ key: this.key, error: describeError(error) }, 'could not release the lock; it expires by itself'),
          );
        }
      }
      const current = await this.#store.get(this.key);
      if (current !== undefined && endsWait(current)) return current;
      const remainingMs = waitEndsAt - performance.now();
      if (remainingMs <= 0) throw new CredentialWaitTimeoutError(this.key, this.#lockWaitMs);
      await sleep(Math.min(this.#pollIntervalMs, remainingMs));
    }
  }

  async #fetchAndStore(forceRefresh: boolean): Promise<StoredCredential> {
    const startedAt = this.#now();
    let fetched: FetchedCredential;
    try {
      fetched = await this.#fetchCredential(forceRefresh);
    } catch (error) {
      this.#refreshFailedAt = this.#now();
      throw error;
    }
    if (typeof fetched.value !== 'string' || fetched.value === '' || !(fetched.expiresInSeconds > 0)) {
      this.#refreshFailedAt = this.#now();
      throw new Error(`fetching ${this.key} returned no usable credential`);
    }
    this.#refreshFailedAt = undefined;
    // Expiry counted from the request's start: WeChat's clock started no earlier than that.
    const credential: StoredCredential = { value: fetched.value, expiresAt: startedAt + fetched.expiresInSeconds * 1000, obtainedAt: this.#now() };
    try {
      await this.#store.set(this.key, credential);
    } catch (error) {
      this.#log.error({ key: this.key, error: describeError(error) }, 'could not store the fetched credential; it is used for this call only');
    }
    this.#log.info({ key: this.key, forceRefresh, expiresInSeconds: fetched.expiresInSeconds }, 'credential refreshed');
    return credential;
  }

  /** True shortly after a failed refresh, while a still-valid credential can be served instead of trying again. */
  #failedMoments(): boolean {
    return this.#refreshFailedAt !== undefined && this.#now() - this.#refreshFailedAt < this.#retryAfterFailureMs;
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(task);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}

/** An error's message for logs; the fetchers this manager is given never put secrets in their messages. */
function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
