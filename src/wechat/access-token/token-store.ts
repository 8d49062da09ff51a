/**
 * Where fetched WeChat credentials (access tokens, JS-SDK tickets) are kept, so that every caller — and, with
 * a shared store, every instance — uses the same one. WeChat limits how often a credential may be fetched, and
 * in some modes a new fetch invalidates the previous credential, so instances must not each fetch their own.
 *
 * Keys are composed by the caller (see `credential-keys.ts`) and tie a credential to its appid and kind, e.g.
 * `stable_token:wx1234`. Implementations: `MemoryTokenStore` (one process), `FileTokenStore` (one process, survives
 * restarts; `TOKEN_FILE_PATH`) and `RedisTokenStore` (shared by every instance). All pass
 * `test/wechat/access-token/token-store.contract.ts`.
 */

/** A credential as stored; times are epoch milliseconds. */
export interface StoredCredential {
  value: string;
  /** When WeChat stops accepting it. */
  expiresAt: number;
  /** When it was fetched from WeChat. */
  obtainedAt: number;
}

/** A lock held on a key; obtained from `TokenStore.acquireLock`. */
export interface TokenStoreLock {
  /**
   * Gives the lock up, but only while the store still holds this very lock (compare-and-delete): a lock whose
   * ttl ran out and was taken by someone else is left alone. Resolves `false` in that case.
   */
  release(): Promise<boolean>;
}

export interface TokenStore {
  /** The credential under `key`, or `undefined` when there is none or it has expired. */
  get(key: string): Promise<StoredCredential | undefined>;
  /** Replaces the credential under `key`; it is kept until its `expiresAt` (an expired one is never returned). */
  set(key: string, credential: StoredCredential): Promise<void>;
  /**
   * Deletes the credential under `key` only if its value is still `value` (compare-and-delete), so a caller
   * holding a rejected credential never drops the newer one someone else stored meanwhile. Resolves whether it
   * deleted.
   */
  deleteIfValue(key: string, value: string): Promise<boolean>;
  /**
   * Tries to take the lock named `key` (a namespace of its own: it never clashes with a credential key). Resolves
   * `undefined` at once when someone holds it; never waits. Every acquisition gets a unique identity, and a lock
   * that is not released expires after `ttlMs`, so a crashed holder blocks nobody for longer. A lock taken and
   * deliberately never released thus works as an "at most once per `ttlMs`" gate.
   */
  acquireLock(key: string, ttlMs: number): Promise<TokenStoreLock | undefined>;
  /** Stops timers and resources the store owns (a Redis connection passed in stays open). */
  close(): Promise<void>;
}
