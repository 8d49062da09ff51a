/** HandoffStore for one instance: a map whose entries are dropped when read after their time-out. */
import type { HandoffEntry, HandoffStore } from './handoff-store.js';

export class MemoryHandoffStore implements HandoffStore {
  readonly #entries = new Map<string, HandoffEntry>();
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  async begin(openId: string, ttlMs: number): Promise<HandoffEntry> {
    const now = this.#now();
    const since = this.#current(openId, now)?.since ?? now;
    const entry = { openId, since, until: now + Math.max(1, Math.ceil(ttlMs)) };
    this.#entries.set(openId, entry);
    return { ...entry };
  }

  async get(openId: string): Promise<HandoffEntry | undefined> {
    const entry = this.#current(openId, this.#now());
    return entry === undefined ? undefined : { ...entry };
  }

  async end(openId: string): Promise<boolean> {
    const handedOff = this.#current(openId, this.#now()) !== undefined;
    this.#entries.delete(openId);
    return handedOff;
  }

  async list(): Promise<HandoffEntry[]> {
    const now = this.#now();
    const entries: HandoffEntry[] = [];
    for (const openId of [...this.#entries.keys()]) {
      const entry = this.#current(openId, now);
      if (entry !== undefined) entries.push({ ...entry });
    }
    return entries.sort((first, second) => first.since - second.since);
  }

  async close(): Promise<void> {
    this.#entries.clear();
  }

  /** The entry while it lasts; an expired one is removed. */
  #current(openId: string, now: number): HandoffEntry | undefined {
    const entry = this.#entries.get(openId);
    if (entry === undefined || entry.until > now) return entry;
    this.#entries.delete(openId);
    return undefined;
  }
}
