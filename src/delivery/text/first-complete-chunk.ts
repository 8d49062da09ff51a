import { findUtf8Cut, splitByUtf8Bytes, utf8ByteLength } from './split-by-bytes.js';

/**
 * Cutting a streamed answer into segments that can be sent while the model is still writing.
 *
 * A segment ends at a *paragraph boundary* (a blank line, or the end of a closed code fence) once it holds at
 * least `minChars` characters, or at a *sentence boundary* (a sentence end, or a line break such as the end of
 * a list item) once it holds at least `sentenceGroupChars` — so the first message goes out as soon as the first
 * paragraph or group of sentences is complete, and no message is a tiny fragment. A boundary is never taken
 * inside an open code fence, right after a heading, or right after a line ending in a colon (an introduction
 * stays with what it introduces); table rows stay together.
 *
 * Every segment is at most `maxBytes` bytes of UTF-8. Text that reaches `maxBytes` without a boundary (a huge
 * paragraph or code block) is cut with `findUtf8Cut`; inside a code fence the fence is closed at the end of the
 * segment and opened again (same marker and info string) at the start of the next, so that each segment is
 * well-formed Markdown on its own. Text before a large code block is sent first, so the block keeps together
 * whenever it fits in `maxBytes`.
 *
 * Segments are Markdown, cut from the model's own text (blank lines at their start and whitespace at their end
 * removed); turning a segment into WeChat text (`markdownToWeChatText`) is the caller's job, per segment. That
 * text can be a little longer than the Markdown (`•` bullets and `【】` headings take more bytes than `-` and
 * `##`), so callers split the converted text again with `splitByUtf8Bytes` (a no-op when it fits).
 *
 * Where segments end depends only on the text, never on how it was cut into deltas: feeding an answer one
 * character at a time or all at once gives the same segments. Consecutive segments may be joined for sending
 * (e.g. to save the customer-service quota) with a blank line between them; a segment that was cut inside a long
 * paragraph then starts a paragraph of its own, which reads fine.
 */

export interface StreamSegmenterOptions {
  /** Largest segment, in UTF-8 bytes. Default 2048 (WeChat's text limit). */
  maxBytes?: number;
  /** A paragraph boundary ends a segment once the segment has at least this many characters. Default 60. */
  minChars?: number;
  /** A sentence boundary ends a segment once the segment has at least this many characters. Default 200. */
  sentenceGroupChars?: number;
}

export const DEFAULT_SEGMENT_MAX_BYTES = 2048;
export const DEFAULT_SEGMENT_MIN_CHARS = 60;
export const DEFAULT_SENTENCE_GROUP_CHARS = 200;

interface ResolvedOptions {
  maxBytes: number;
  minChars: number;
  sentenceGroupChars: number;
}

/** A code fence that is open at the scan position. */
interface OpenFence {
  /** The fence's backtick or tilde run, e.g. "```". */
  marker: string;
  indentation: string;
  lineStart: number;
  /** Index just after the opening line (its newline included). */
  contentStart: number;
}

type LineKind = 'text' | 'lead-in' | 'heading';

/** How far the text has been examined; only ever moves forward until a segment is taken. */
interface ScanState {
  index: number;
  bytes: number;
  lineStart: number;
  backticksInLine: number;
  fence: OpenFence | undefined;
  /** Kind of the last non-blank line, to avoid ending a segment on a heading or an introduction. */
  lastLineKind: LineKind;
}

/** One segment taken off the front of the pending text. */
interface Take {
  segment: string;
  rest: string;
}

const FENCE_OPENING = /^([ \t]*)(`{3,}|~{3,})(.*)$/;
const HEADING = /^ {0,3}#{1,6}(?:[ \t]|$)/;
const CJK_SENTENCE_END = new Set(['。', '！', '？', '；', '…']);
const ASCII_SENTENCE_END = new Set(['.', '!', '?', ';']);
const CLOSING_MARKS = new Set(['”', '’', '」', '』', '）', '》', '】', '〕', ')', '"', "'", ']', '*', '_', '`', '~']);

/**
 * Incremental segmentation of a streamed Markdown answer (see the module comment):
 * `push` each delta and send what it returns; `flush` once the stream ends and send the rest.
 */
export class StreamSegmenter {
  readonly #options: ResolvedOptions;
  #pending = '';
  #state: ScanState = initialState();

  constructor(options: StreamSegmenterOptions = {}) {
    this.#options = resolveOptions(options);
  }

  /** Adds streamed text; returns the segments it completed, in order (often none). */
  push(delta: string): string[] {
    this.#pending += delta;
    const segments: string[] = [];
    for (let take = nextTake(this.#pending, this.#state, this.#options); take !== undefined; take = nextTake(this.#pending, this.#state, this.#options)) {
      segments.push(take.segment);
      this.#pending = take.rest;
      this.#state = initialState();
    }
    return segments;
  }

  /** Ends the stream: returns what is left as segments (none when only whitespace is left) and starts over. */
  flush(): string[] {
    const rest = this.#pending;
    this.#pending = '';
    this.#state = initialState();
    return splitByUtf8Bytes(rest, this.#options.maxBytes);
  }
}

/**
 * The first segment that `StreamSegmenter` would send for `textSoFar`, and the text left after it (`rest`,
 * to which further deltas are appended; it may start with a reopened code fence), or `undefined` when no
 * segment is complete yet. A stateless form of the segmenter: repeatedly taking the first chunk of the rest
 * gives the same segments.
 */
export function firstCompleteChunk(textSoFar: string, options: StreamSegmenterOptions = {}): { chunk: string; rest: string } | undefined {
  const take = nextTake(textSoFar, initialState(), resolveOptions(options));
  return take === undefined ? undefined : { chunk: take.segment, rest: take.rest };
}

function resolveOptions(options: StreamSegmenterOptions): ResolvedOptions {
  const resolved = {
    maxBytes: options.maxBytes ?? DEFAULT_SEGMENT_MAX_BYTES,
    minChars: options.minChars ?? DEFAULT_SEGMENT_MIN_CHARS,
    sentenceGroupChars: options.sentenceGroupChars ?? DEFAULT_SENTENCE_GROUP_CHARS,
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  // Validated like splitByUtf8Bytes does (at least one code point per segment).
  findUtf8Cut('', resolved.maxBytes);
  return resolved;
}

function initialState(): ScanState {
  return { index: 0, bytes: 0, lineStart: 0, backticksInLine: 0, fence: undefined, lastLineKind: 'text' };
}

/**
 * Examines `pending` from `state.index` one character at a time (so that the outcome cannot depend on how the
 * text arrived) and returns the first segment that becomes complete, or undefined with `state` advanced.
 * A boundary is recognised by the character that confirms it, and the segment ends before that character.
 */
function nextTake(pending: string, state: ScanState, options: ResolvedOptions): Take | undefined {
  for (; state.index < pending.length; state.index += 1) {
    const index = state.index;
    const character = pending[index]!;
    state.bytes += utf8UnitBytes(pending.charCodeAt(index));
    if (state.bytes > options.maxBytes) return takeOversized(pending.slice(0, index + 1), pending, state, options);

    if (character === '\n') {
      const take = endLine(pending, state, options);
      state.lineStart = index + 1;
      state.backticksInLine = 0;
      if (take !== undefined) return take;
      continue;
    }
    if (character === '`') state.backticksInLine += 1;
    if (state.fence === undefined && state.backticksInLine % 2 === 0 && endsSentenceBefore(pending, index, state.lineStart) && !isTableOrHeadingLine(pending, state.lineStart)) {
      const take = takeIfLongEnough(pending, index, options.sentenceGroupChars);
      if (take !== undefined) return take;
    }
  }
  return undefined;
}

/** Handles the line that the newline at `state.index` ends: fences, and paragraph or line boundaries. */
function endLine(pending: string, state: ScanState, options: ResolvedOptions): Take | undefined {
  const index = state.index;
  const line = pending.slice(state.lineStart, index);
  const fence = state.fence;
  if (fence !== undefined) {
    if (!isClosingFence(line, fence)) return undefined;
    state.fence = undefined;
    state.lastLineKind = 'text';
    return takeIfLongEnough(pending, index, options.minChars);
  }
  const opening = FENCE_OPENING.exec(line);
  if (opening !== null && !(opening[2]!.startsWith('`') && opening[3]!.includes('`'))) {
    state.fence = { indentation: opening[1]!, marker: opening[2]!, lineStart: state.lineStart, contentStart: index + 1 };
    return undefined;
  }
  const trimmed = line.trim();
  if (trimmed === '') {
    return state.lastLineKind === 'text' ? takeIfLongEnough(pending, index, options.minChars) : undefined;
  }
  state.lastLineKind = HEADING.test(line) ? 'heading' : /[:：]$/.test(trimmed) ? 'lead-in' : 'text';
  if (state.lastLineKind !== 'text' || trimmed.startsWith('|')) return undefined;
  return takeIfLongEnough(pending, index, options.sentenceGroupChars);
}

/** Whether the character at `index` confirms that a sentence ended just before it. */
function endsSentenceBefore(pending: string, index: number, lineStart: number): boolean {
  const character = pending[index]!;
  if (CLOSING_MARKS.has(character) || CJK_SENTENCE_END.has(character) || ASCII_SENTENCE_END.has(character)) return false;
  let before = index - 1;
  while (before >= lineStart && CLOSING_MARKS.has(pending[before]!)) before -= 1;
  if (before < lineStart) return false;
  const mark = pending[before]!;
  if (CJK_SENTENCE_END.has(mark)) return true;
  if (!ASCII_SENTENCE_END.has(mark) || !/\s/.test(character)) return false;
  // "3. " at the start of a line numbers a list item.
  return !/^[ \t]*\d{1,9}\.$/.test(pending.slice(lineStart, before + 1));
}

/** Table rows and headings are never cut inside. */
function isTableOrHeadingLine(pending: string, lineStart: number): boolean {
  return /^[ \t]*[|#]/.test(pending.slice(lineStart, lineStart + 8));
}

function takeIfLongEnough(pending: string, end: number, minimumChars: number): Take | undefined {
  const segment = trimSegment(pending.slice(0, end));
  return segment.length >= minimumChars ? { segment, rest: pending.slice(end) } : undefined;
}

/**
 * `prefix` (the pending text up to and including the character that crossed `maxBytes`) has no boundary that
 * qualified. Sends the text before an open code fence first; else cuts within the fence, closing and reopening
 * it; else cuts where `findUtf8Cut` prefers.
 */
function takeOversized(prefix: string, pending: string, state: ScanState, options: ResolvedOptions): Take {
  const fence = state.fence;
  if (fence !== undefined) {
    const before = trimSegment(pending.slice(0, fence.lineStart));
    if (before.length > 0) return { segment: before, rest: pending.slice(fence.lineStart) };
    const closing = `\n${fence.indentation}${fence.marker}`;
    const cut = findUtf8Cut(prefix, options.maxBytes - utf8ByteLength(closing));
    // Only worth it when some code fits beside the fence lines; else a plain cut below still makes progress.
    if (cut.end > fence.contentStart) {
      const opening = pending.slice(fence.lineStart, fence.contentStart);
      return { segment: trimSegment(prefix.slice(0, cut.end)) + closing, rest: opening + pending.slice(cut.next) };
    }
  }
  const start = prefix.length - prefix.replace(/^(?:[ \t\r]*\n)+/, '').length;
  const cut = findUtf8Cut(prefix, options.maxBytes, start);
  return { segment: trimSegment(prefix.slice(0, cut.end)), rest: pending.slice(cut.next) };
}

function isClosingFence(line: string, fence: OpenFence): boolean {
  const trimmed = line.trim();
  const character = fence.marker[0]!;
  return trimmed.length >= fence.marker.length && [...trimmed].every((each) => each === character);
}

/** Drops blank lines at the start (keeping the first line's indentation) and whitespace at the end. */
function trimSegment(text: string): string {
  return text.replace(/^(?:[ \t\r]*\n)+/, '').trimEnd();
}

/** UTF-8 bytes of one UTF-16 unit: a surrogate pair makes 4 bytes, 2 per half. */
function utf8UnitBytes(code: number): number {
  if (code < 0x80) return 1;
  if (code < 0x800) return 2;
  if (code >= 0xd800 && code <= 0xdfff) return 2;
  return 3;
}
