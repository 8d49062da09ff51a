/**
 * Whether the account may send customer-service messages — unverified accounts may not (errcode 48001). Learned
 * from WeChat's answers (the typing indicator is the probe, sent on every customer-service path anyway),
 * remembered for all instances, and forgotten after a day so that a newly verified account is noticed.
 */
import type { SharedState } from './state/shared-state.js';

export type Permission = 'allowed' | 'denied' | 'unknown';

const KEY = 'cs-permission';
const REMEMBER_MS = 24 * 60 * 60 * 1000;
/** Reads are cached in the process this long (every message asks). */
const LOCAL_CACHE_MS = 30_000;

export class CustomerServicePermission {
  readonly #state: SharedState;
  #cached: { value: Permission; until: number } | undefined;

  constructor(state: SharedState) {
    this.#state = state;
  }

  async get(): Promise<Permission> {
    const now = Date.now();
    if (this.#cached !== undefined && this.#cached.until > now) return this.#cached.value;
    const stored = await this.#state.get(KEY);
    const value: Permission = stored === 'allowed' || stored === 'denied' ? stored : 'unknown';
    this.#cached = { value, until: now + LOCAL_CACHE_MS };
    return value;
  }

  async set(value: 'allowed' | 'denied'): Promise<void> {
    this.#cached = { value, until: Date.now() + LOCAL_CACHE_MS };
    await this.#state.set(KEY, value, REMEMBER_MS);
  }
}
