/**
 * One user's stored context and the rules both stores apply to it (see `context-store.ts`): what a stored
 * message may contain, and the turn and byte bounds. Pure functions, so that memory and Redis behave alike.
 */
import type { ChatMessage, ImagePart, TextPart } from '../../ai/agent.js';
import type { ContextLimits, ConversationContext } from './context-store.js';

/** The stored form; also the JSON value of a Redis key. */
export interface ContextRecord {
  turns: ChatMessage[][];
  session: Record<string, unknown>;
}

/** Appended to a text shortened to fit `maxBytes`. */
export const TRUNCATION_MARK = '…（已截断）';

/** What an image known only by its bytes becomes. */
export const IMAGE_PLACEHOLDER = '[图片]';

/** A text this short is not worth shortening further; the turn loses its tool messages instead. */
const MIN_SHORTENED_BYTES = 32;

export function emptyRecord(): ContextRecord {
  return { turns: [], session: {} };
}

/** The record in a stored JSON value; an unreadable value counts as no context (the next write replaces it). */
export function parseRecord(json: string | null | undefined): ContextRecord {
  if (json === null || json === undefined) return emptyRecord();
  try {
    const value = JSON.parse(json) as Partial<ContextRecord> | null;
    const turns = Array.isArray(value?.turns) ? value.turns.filter((turn) => Array.isArray(turn)) : [];
    const session = isPlainObject(value?.session) ? value.session : {};
    return { turns, session };
  } catch {
    return emptyRecord();
  }
}

export function toConversationContext(record: ContextRecord): ConversationContext {
  return { messages: record.turns.flat(), session: record.session };
}

/** `record` with `messages` appended as one turn, within `limits` (see `context-store.ts`). */
export function appendTurn(record: ContextRecord, messages: readonly ChatMessage[], limits: ContextLimits): ContextRecord {
  return appendSizedTurn(record, undefined, messages, limits).record;
}

/** A record with the JSON size of each of its turns, so that a store keeping it need not measure them again. */
export interface SizedRecord {
  record: ContextRecord;
  turnBytes: number[];
}

/** `appendTurn`, given the sizes of the record's turns if known (measured otherwise); returns the new sizes. */
export function appendSizedTurn(
  record: ContextRecord,
  turnBytes: readonly number[] | undefined,
  messages: readonly ChatMessage[],
  limits: ContextLimits,
): SizedRecord {
  if (limits.maxTurns === 0) return { record: { ...record, turns: [] }, turnBytes: [] };
  let turn = messages.map(storableMessage);
  if (turn.length === 0) return { record, turnBytes: turnBytes?.length === record.turns.length ? [...turnBytes] : record.turns.map(jsonBytes) };
  let turnSize = jsonBytes(turn);
  if (turnSize > limits.maxBytes) {
    turn = shortenTurn(turn, limits.maxBytes);
    turnSize = jsonBytes(turn);
  }
  const turns = [...record.turns];
  const sizes = turnBytes?.length === turns.length ? [...turnBytes] : turns.map(jsonBytes);
  turns.push(turn);
  sizes.push(turnSize);
  // Empty turns are dropped; beyond `maxTurns` and then `maxBytes`, the oldest go first (the newest always stays).
  for (let index = turns.length - 1; index >= 0; index--) {
    if (turns[index]!.length === 0) {
      turns.splice(index, 1);
      sizes.splice(index, 1);
    }
  }
  let total = 0;
  for (const size of sizes) total += size;
  while (turns.length > 1 && (turns.length > limits.maxTurns || total > limits.maxBytes)) {
    turns.shift();
    total -= sizes.shift()!;
  }
  return { record: { ...record, turns }, turnBytes: sizes };
}

/** `record` with one session value set (`undefined` removes it), as it would come back from JSON. */
export function withSessionValue(record: ContextRecord, key: string, value: unknown): ContextRecord {
  const session = { ...record.session };
  if (value === undefined) delete session[key];
  else session[key] = JSON.parse(JSON.stringify(value)) as unknown;
  return { ...record, session };
}

/** A copy of `message` as stored: image bytes replaced (see `context-store.ts`), JSON-clean. */
export function storableMessage(message: ChatMessage): ChatMessage {
  // Plain text messages (nearly all) are copied field by field; the rest through JSON, which drops what JSON cannot hold.
  if (typeof message.content === 'string' && (message.role === 'user' || message.role === 'system')) return { role: message.role, content: message.content };
  if (message.role === 'assistant' && message.toolCalls === undefined) return { role: 'assistant', content: message.content };
  if (message.role !== 'user' || typeof message.content === 'string') return JSON.parse(JSON.stringify(message)) as ChatMessage;
  const content = message.content.map((part): TextPart | ImagePart => {
    if (part.type === 'text') return { type: 'text', text: part.text };
    if (part.url !== undefined) return part.mimeType === undefined ? { type: 'image', url: part.url } : { type: 'image', url: part.url, mimeType: part.mimeType };
    return { type: 'text', text: IMAGE_PLACEHOLDER };
  });
  return { role: 'user', content };
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * Makes one turn fit `maxBytes` by shortening its longest texts. If that is not enough (many or large tool
 * calls), keeps only its user messages and final answer (tool calls dropped, so that it stays valid for model
 * APIs), then only the user's message; an empty turn when even that cannot fit.
 */
function shortenTurn(turn: ChatMessage[], maxBytes: number): ChatMessage[] {
  const lastAssistant = turn.findLast((message) => message.role === 'assistant');
  const userMessages = turn.filter((message) => message.role === 'user');
  const candidates: ChatMessage[][] = [
    turn,
    lastAssistant === undefined ? userMessages : [...userMessages, { role: 'assistant', content: lastAssistant.content }],
    userMessages.slice(0, 1),
  ];
  for (const candidate of candidates) {
    const shortened = shortenTexts(candidate, maxBytes);
    if (shortened !== undefined) return shortened;
  }
  return [];
}

/** Shortens the longest text, again and again, until the messages fit; undefined when texts are all too short. */
function shortenTexts(messages: ChatMessage[], maxBytes: number): ChatMessage[] | undefined {
  const copy = messages.map((message) => JSON.parse(JSON.stringify(message)) as ChatMessage);
  const markBytes = Buffer.byteLength(TRUNCATION_MARK, 'utf8');
  for (let excess = jsonBytes(copy) - maxBytes; excess > 0; excess = jsonBytes(copy) - maxBytes) {
    const longest = longestText(copy);
    if (longest === undefined || longest.bytes <= MIN_SHORTENED_BYTES + markBytes) return undefined;
    // Every byte cut from the text shrinks its JSON by at least one byte (escapes shrink by more).
    const keptBytes = Math.max(MIN_SHORTENED_BYTES, longest.bytes - excess - markBytes);
    longest.set(prefixWithinBytes(longest.text, keptBytes) + TRUNCATION_MARK);
  }
  return copy;
}

interface TextSlot {
  text: string;
  bytes: number;
  set: (text: string) => void;
}

function longestText(messages: ChatMessage[]): TextSlot | undefined {
  let longest: TextSlot | undefined;
  const consider = (text: string, set: (text: string) => void): void => {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (longest === undefined || bytes > longest.bytes) longest = { text, bytes, set };
  };
  for (const message of messages) {
    if (typeof message.content === 'string') {
      consider(message.content, (text) => {
        message.content = text;
      });
      continue;
    }
    for (const part of message.content) {
      if (part.type === 'text') {
        consider(part.text, (text) => {
          part.text = text;
        });
      }
    }
  }
  return longest;
}

/** The longest prefix of `text` within `maxBytes` of UTF-8, never ending inside a surrogate pair. */
function prefixWithinBytes(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const character of text) {
    const size = Buffer.byteLength(character, 'utf8');
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += character.length;
  }
  return text.slice(0, end);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
