import type { ChatMessage } from '../../ai/agent.js';
import { appendTurn, emptyRecord, toConversationContext, withSessionValue, type ContextRecord } from './context-record.js';
import { resolveContextLimits, type ContextLimits, type ContextStore, type ConversationContext } from './context-store.js';

/** Default bound on users kept; at the 16 KB default per user that is at most ~160 MB, typically far less. */
export const DEFAULT_MAX_USERS = 10_000;

/** Expiry is checked on every read, so the sweep only frees memory. */
const DEFAULT_SWEEP_INTERVAL_MS = 60_000;

export interface MemoryContextStoreOptions extends Partial<ContextLimits> {
  /** Users kept at most; beyond it the least recently used context is forgotten first. */
  maxUsers?: number;
  /** How often expired contexts are swept away (an unref'd timer). */
  sweepIntervalMs?: number;
}

interface Entry {
  record: ContextRecord;
  expiresAt: number;
}

/**
 * The context store for a single process (see `context-store.ts`). A Map in least-recently-used order: each
 * read or write moves the user to the end, and the front is evicted beyond `maxUsers`. Operations are
 * synchronous underneath, so concurrent calls never lose a write.
 */
export class MemoryContextStore implements ContextStore {
  readonly #limits: ContextLimits;
  readonly #maxUsers: number;
  readonly #entries = new Map<string, Entry>();
  readonly #sweepTimer: NodeJS.Timeout;

  constructor(options: MemoryContextStoreOptions = {}) {
    this.#limits = resolveContextLimits(options);
    this.#maxUsers = options.maxUsers ?? DEFAULT_MAX_USERS;
    if (!Number.isInteger(this.#maxUsers) || this.#maxUsers < 1) throw new RangeError(`maxUsers must be a positive integer, got ${this.#maxUsers}`);
    this.#sweepTimer = setInterval(() => this.#sweep(), options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS);
    this.#sweepTimer.unref();
  }

  /** Users whose context is held (expired ones included until swept). */
  get size(): number {
    return this.#entries.size;
  }

  async load(userId: string): Promise<ConversationContext> {
    const entry = this.#liveEntry(userId);
    if (entry === undefined) return toConversationContext(emptyRecord());
    this.#touch(userId, entry);
    return structuredClone(toConversationContext(entry.record));
  }

  async append(userId: string, messages: readonly ChatMessage[]): Promise<void> {
    if (messages.length === 0) return;
    this.#write(userId, (record) => appendTurn(record, messages, this.#limits));
  }

  async setSession(userId: string, key: string, value: unknown): Promise<void> {
    this.#write(userId, (record) => withSessionValue(record, key, value));
  }

  async reset(userId: string): Promise<void> {
    this.#entries.delete(userId);
  }

  async close(): Promise<void> {
    clearInterval(this.#sweepTimer);
    this.#entries.clear();
  }

  #write(userId: string, change: (record: ContextRecord) => ContextRecord): void {
    const record = change(this.#liveEntry(userId)?.record ?? emptyRecord());
    this.#touch(userId, { record, expiresAt: Date.now() + this.#limits.ttlSeconds * 1000 });
    while (this.#entries.size > this.#maxUsers) this.#entries.delete(this.#entries.keys().next().value!);
  }

  #liveEntry(userId: string): Entry | undefined {
    const entry = this.#entries.get(userId);
    if (entry === undefined || entry.expiresAt > Date.now()) return entry;
    this.#entries.delete(userId);
    return undefined;
  }

  /** Moves the user to the most recently used end. */
  #touch(userId: string, entry: Entry): void {
    this.#entries.delete(userId);
    this.#entries.set(userId, entry);
  }

  #sweep(): void {
    const now = Date.now();
    for (const [userId, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#entries.delete(userId);
    }
  }
}
