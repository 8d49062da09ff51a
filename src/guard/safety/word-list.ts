/**
 * One direction's keyword lists (CONTENT_FILTER_FILE's `block` and `mask` entries) compiled for matching, and
 * `screen(text)`: what the text may become — unchanged, masked, or blocked.
 *
 * An entry is a word matched literally and case-insensitively anywhere in the text, or, written `/pattern/flags`,
 * a JavaScript regular expression (flags `i`, `m`, `s`, `u`; the file is the operator's, so its patterns are
 * trusted like code). Block wins over mask: a text with a blocked word is blocked even if it also has a masked
 * one. Masking replaces every character of a match (a code point, so an emoji is one `*`) with the mask character.
 *
 * Answers are Markdown until delivery turns them into WeChat text, where `这是**，那是**` would lose its masks as
 * "bold"; so a list for Markdown (`markdown: true`, the outgoing one) writes a punctuation mask character escaped
 * (`\*`), which the conversion turns back into a plain `*`.
 */

export type ScreenAction = 'pass' | 'mask' | 'block';

export interface ScreenResult {
  action: ScreenAction;
  /** The text to use: the masked text for `mask`, the input otherwise. */
  text: string;
  /** The entries that matched, as written in the file — content: log them at DEBUG only. */
  matched: string[];
}

interface Entry {
  source: string;
  pattern: RegExp;
}

const REGEX_ENTRY = /^\/(.+)\/([a-z]*)$/s;
const ALLOWED_FLAGS = /^[imsu]*$/;
/** ASCII punctuation, which CommonMark lets a backslash escape. */
const MARKDOWN_PUNCTUATION = /^[!-/:-@[-`{-~]$/;

/** Compiles one entry; throws an Error whose message says what is wrong with it. */
export function compileEntry(source: string): RegExp {
  const regex = REGEX_ENTRY.exec(source);
  if (regex === null) {
    if (source.trim() === '') throw new Error('an empty word');
    return new RegExp(source.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'giu');
  }
  const [, body = '', flags = ''] = regex;
  if (!ALLOWED_FLAGS.test(flags)) throw new Error(`unsupported flags "${flags}" (use i, m, s or u)`);
  let pattern: RegExp;
  try {
    pattern = new RegExp(body, `g${[...new Set(flags)].join('')}`);
  } catch (error) {
    // V8's message quotes the pattern; problem lines name the entry by its place instead (the list stays out of logs).
    throw new Error(`not a valid regular expression (${(error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '')})`, { cause: error });
  }
  // A pattern that matches nothing at all would block (or "mask") every text.
  if (new RegExp(pattern.source, pattern.flags.replace('g', '')).test('')) throw new Error('the pattern matches empty text');
  return pattern;
}

export class WordList {
  readonly #block: Entry[];
  readonly #mask: Entry[];
  readonly #maskCharacter: string;

  /** Entries must compile (`compileEntry`); the file loader checks them first and reports every problem. */
  constructor(entries: { block: readonly string[]; mask: readonly string[] }, options: { maskCharacter?: string; markdown?: boolean } = {}) {
    const compile = (source: string): Entry => ({ source, pattern: compileEntry(source) });
    this.#block = entries.block.map(compile);
    this.#mask = entries.mask.map(compile);
    const character = options.maskCharacter ?? '*';
    this.#maskCharacter = options.markdown === true && MARKDOWN_PUNCTUATION.test(character) ? `\\${character}` : character;
  }

  /** Number of block and mask entries (for the reload log line). */
  get size(): { block: number; mask: number } {
    return { block: this.#block.length, mask: this.#mask.length };
  }

  get empty(): boolean {
    return this.#block.length === 0 && this.#mask.length === 0;
  }

  screen(text: string): ScreenResult {
    const blocked = this.#block.filter((entry) => test(entry.pattern, text)).map((entry) => entry.source);
    if (blocked.length > 0) return { action: 'block', text, matched: blocked };
    let masked = text;
    const matched: string[] = [];
    for (const entry of this.#mask) {
      if (!test(entry.pattern, masked)) continue;
      matched.push(entry.source);
      masked = masked.replace(entry.pattern, (match) => this.#maskCharacter.repeat([...match].length));
    }
    return matched.length > 0 ? { action: 'mask', text: masked, matched } : { action: 'pass', text, matched };
  }
}

function test(pattern: RegExp, text: string): boolean {
  pattern.lastIndex = 0; // global patterns keep their position between calls
  return pattern.test(text);
}
