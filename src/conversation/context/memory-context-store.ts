import type { ChatMessage } from '../../ai/agent.js';
import { appendSizedTurn, emptyRecord, withSessionValue, type ContextRecord } from './context-record.js';
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
  /** Never changed in place (each write makes a new one), and frozen, so that readers can share its parts. */
  record: ContextRecord;
  /** The JSON size of each turn, measured once when the turn was added. */
  turnBytes: number[];
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
    if (entry === undefined) return { messages: [], session: {} };
    this.#touch(userId, entry);
    // The caller gets messages and a session it may change; the stored ones are frozen, so a copy of the top
    // level of each message is enough (and far cheaper than a deep clone).
    const messages: ChatMessage[] = [];
    for (const turn of entry.record.turns) for (const message of turn) messages.push(copyMessage(message));
    const session = entry.record.session;
    return { messages, session: Object.keys(session).length === 0 ? {} : structuredClone(session) };
  }

  async append(userId: string, messages: readonly ChatMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const entry = this.#liveEntry(userId);
    const { record, turnBytes } = appendSizedTurn(entry?.record ?? emptyRecord(), entry?.turnBytes, messages, this.#limits);
    this.#write(userId, record, turnBytes);
  }

  async setSession(userId: string, key: string, value: unknown): Promise<void> {
    const entry = this.#liveEntry(userId);
    this.#write(userId, withSessionValue(entry?.record ?? emptyRecord(), key, value), entry?.turnBytes ?? []);
  }

  async reset(userId: string): Promise<void> {
    this.#entries.delete(userId);
  }

  async close(): Promise<void> {
    clearInterval(this.#sweepTimer);
    this.#entries.clear();
  }

  #write(userId: string, record: ContextRecord, turnBytes: number[]): void {
    deepFreeze(record);
    this.#touch(userId, { record, turnBytes, expiresAt: Date.now() + this.#limits.ttlSeconds * 1000 });
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

/** A message whose own fields (and content parts and tool calls) the caller may change without touching the store. */
function copyMessage(message: ChatMessage): ChatMessage {
  if (message.role === 'user' && typeof message.content !== 'string') return { role: 'user', content: message.content.map((part) => ({ ...part })) };
  if (message.role === 'assistant' && message.toolCalls !== undefined) return { ...message, toolCalls: message.toolCalls.map((call) => ({ ...call })) };
  return { ...message };
}

/** Freezes `value` and everything reachable from it that is not frozen yet (earlier turns already are). */
function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
}
