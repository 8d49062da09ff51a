import type { SharedState } from './shared-state.js';

interface Entry {
  value: string | string[];
  expiresAt: number;
}

/** How often expired entries are dropped; reads check expiry themselves. */
const SWEEP_INTERVAL_MS = 10_000;

/** SharedState for a single instance. */
export class MemorySharedState implements SharedState {
  readonly #entries = new Map<string, Entry>();
  readonly #sweepTimer: NodeJS.Timeout;

  constructor() {
    this.#sweepTimer = setInterval(() => this.#sweep(), SWEEP_INTERVAL_MS);
    this.#sweepTimer.unref();
  }

  async get(key: string): Promise<string | undefined> {
    const value = this.#live(key)?.value;
    return typeof value === 'string' ? value : undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.#entries.set(key, { value, expiresAt: Date.now() + ttlMs });
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async push(key: string, values: readonly string[], ttlMs: number): Promise<void> {
    const entry = this.#live(key);
    const list = Array.isArray(entry?.value) ? entry.value : [];
    list.push(...values);
    this.#entries.set(key, { value: list, expiresAt: Date.now() + ttlMs });
  }

  async shift(key: string): Promise<string | undefined> {
    const entry = this.#live(key);
    if (entry === undefined || !Array.isArray(entry.value)) return undefined;
    const value = entry.value.shift();
    if (entry.value.length === 0) this.#entries.delete(key);
    return value;
  }

  async length(key: string): Promise<number> {
    const value = this.#live(key)?.value;
    return Array.isArray(value) ? value.length : 0;
  }

  async close(): Promise<void> {
    clearInterval(this.#sweepTimer);
    this.#entries.clear();
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > Date.now()) return entry;
    this.#entries.delete(key);
    return undefined;
  }

  #sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }
}
