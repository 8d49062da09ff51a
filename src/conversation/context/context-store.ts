/**
 * Conversation context: what each user and the assistant said recently, so that a follow-up question is
 * understood, plus a little per-user session state for agents (`AgentSession`, e.g. Dify's `conversation_id`).
 *
 * The key is the user's openid. Context is kept in *turns*: a turn is what `append` was given at once — the
 * user's message, the assistant's answer, and the tool calls and results in between — and is only ever kept or
 * dropped whole (a model API refuses a tool result without the call that asked for it). Bounds:
 * - at most `maxTurns` turns (`CONTEXT_MAX_TURNS`, default 10; 0 keeps no messages, only the session);
 * - at most `maxBytes` bytes of JSON for all turns (default 16 KB): the oldest turns are dropped first; a single
 *   turn larger than that on its own is kept with its longest texts shortened (ending in `…（已截断）`);
 * - everything expires `ttlSeconds` after the last write (`CONTEXT_TTL`, default 3600): `append` and
 *   `setSession` refresh it, `load` does not.
 *
 * Images are never stored as bytes: an image part keeps its URL (WeChat's `PicUrl`, which vision models can fetch
 * again), and an image known only by its bytes becomes the text `[图片]`.
 *
 * `reset` (the `/reset` and `清除记忆` commands) forgets the messages *and* the session, so that an agent with
 * its own memory (Dify's conversation) starts over too.
 *
 * Implementations: `MemoryContextStore` (one process) and `RedisContextStore` (shared by every instance; a write
 * never loses a concurrent one). Both pass `test/conversation/context/context-store.contract.ts`.
 */
import type { ChatMessage } from '../../ai/agent.js';

/** What `load` returns: copies the caller may change freely. */
export interface ConversationContext {
  /** The kept turns, oldest first, as one list. */
  messages: ChatMessage[];
  /** Session values by key; JSON values (what `setSession` stored, through a JSON round trip). */
  session: Record<string, unknown>;
}

export interface ContextStore {
  /** The user's context; empty (`{ messages: [], session: {} }`) when there is none or it expired. */
  load(userId: string): Promise<ConversationContext>;
  /** Adds one turn (nothing for an empty list), applies the bounds and refreshes the TTL. */
  append(userId: string, messages: readonly ChatMessage[]): Promise<void>;
  /** Sets one session value (`undefined` removes it); the value must be JSON-serialisable. Refreshes the TTL. */
  setSession(userId: string, key: string, value: unknown): Promise<void>;
  /** Forgets the user's messages and session. */
  reset(userId: string): Promise<void>;
  /** Stops timers; a connection given by the caller stays open. */
  close(): Promise<void>;
}

export interface ContextLimits {
  /** Turns kept per user (`CONTEXT_MAX_TURNS`). */
  maxTurns: number;
  /** Bytes of JSON kept for all of a user's turns together. */
  maxBytes: number;
  /** Seconds a context lives after its last write (`CONTEXT_TTL`); fractions allowed (tests). */
  ttlSeconds: number;
}

export const DEFAULT_CONTEXT_LIMITS: Readonly<ContextLimits> = Object.freeze({ maxTurns: 10, maxBytes: 16 * 1024, ttlSeconds: 3600 });

/** The limits with defaults filled in; throws a RangeError for a value out of range. */
export function resolveContextLimits(limits: Partial<ContextLimits> = {}): ContextLimits {
  const resolved = {
    maxTurns: limits.maxTurns ?? DEFAULT_CONTEXT_LIMITS.maxTurns,
    maxBytes: limits.maxBytes ?? DEFAULT_CONTEXT_LIMITS.maxBytes,
    ttlSeconds: limits.ttlSeconds ?? DEFAULT_CONTEXT_LIMITS.ttlSeconds,
  };
  if (!Number.isInteger(resolved.maxTurns) || resolved.maxTurns < 0) throw new RangeError(`maxTurns must be an integer ≥ 0, got ${resolved.maxTurns}`);
  if (!Number.isInteger(resolved.maxBytes) || resolved.maxBytes < 256) throw new RangeError(`maxBytes must be an integer ≥ 256, got ${resolved.maxBytes}`);
  if (!Number.isFinite(resolved.ttlSeconds) || resolved.ttlSeconds <= 0) throw new RangeError(`ttlSeconds must be positive, got ${resolved.ttlSeconds}`);
  return resolved;
}
