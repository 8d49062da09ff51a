import type { TokenStoreLock } from './token-store.js';

interface HeldLock {
  /** Identity of one acquisition, so a late release of an expired lock cannot free its successor. */
  id: symbol;
  expiresAt: number;
}

/**
 * The locks of the stores that live in one process (memory, file): `TokenStore.acquireLock` semantics without
 * anything shared. Expiry is checked on every acquisition, so no timers are needed.
 */
export class LocalLockTable {
  readonly #now: () => number;
  readonly #held = new Map<string, HeldLock>();

  constructor(now: () => number) {
    this.#now = now;
  }

  acquire(key: string, ttlMs: number): TokenStoreLock | undefined {
    const now = this.#now();
    const current = this.#held.get(key);
    if (current !== undefined && current.expiresAt > now) return undefined;
    const lock: HeldLock = { id: Symbol(key), expiresAt: now + ttlMs };
    this.#held.set(key, lock);
    this.#prune(now);
    return {
      release: async () => {
        const holder = this.#held.get(key);
        if (holder?.id !== lock.id || holder.expiresAt <= this.#now()) return false;
        this.#held.delete(key);
        return true;
      },
    };
  }

  clear(): void {
    this.#held.clear();
  }

  /** Forgets expired locks once there are many (e.g. gates that are never released). */
  #prune(now: number): void {
    if (this.#held.size < 64) return;
    for (const [key, lock] of this.#held) {
      if (lock.expiresAt <= now) this.#held.delete(key);
    }
  }
}
