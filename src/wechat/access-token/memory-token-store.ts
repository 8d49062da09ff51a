import { LocalLockTable } from './local-lock-table.js';
import type { StoredCredential, TokenStore, TokenStoreLock } from './token-store.js';

export interface MemoryTokenStoreOptions {
  /** Clock in epoch milliseconds for expiry (tests move it forward); default `Date.now`. */
  now?: () => number;
}

/** The token store of a single process that needs nothing to survive a restart (tests, tools). */
export class MemoryTokenStore implements TokenStore {
  readonly #now: () => number;
  readonly #credentials = new Map<string, StoredCredential>();
  readonly #locks: LocalLockTable;

  constructor(options: MemoryTokenStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#locks = new LocalLockTable(this.#now);
  }

  async get(key: string): Promise<StoredCredential | undefined> {
    const credential = this.#credentials.get(key);
    if (credential === undefined) return undefined;
    if (credential.expiresAt <= this.#now()) {
      this.#credentials.delete(key);
      return undefined;
    }
    return { ...credential };
  }

  async set(key: string, credential: StoredCredential): Promise<void> {
    this.#credentials.set(key, { value: credential.value, expiresAt: credential.expiresAt, obtainedAt: credential.obtainedAt });
  }

  async deleteIfValue(key: string, value: string): Promise<boolean> {
    if (this.#credentials.get(key)?.value !== value) return false;
    return this.#credentials.delete(key);
  }

  async acquireLock(key: string, ttlMs: number): Promise<TokenStoreLock | undefined> {
    return this.#locks.acquire(key, ttlMs);
  }

  async close(): Promise<void> {
    this.#credentials.clear();
    this.#locks.clear();
  }
}
