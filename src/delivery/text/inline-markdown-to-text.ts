/**
 * Inline Markdown (within one line or table cell) to plain text: code spans, links, images, emphasis, HTML tags,
 * escapes and entities. Used by `markdownToWeChatText` for every line outside code blocks.
 *
 * Literal parts (code, URLs, escaped and decoded characters) are first replaced by placeholders, so that later
 * steps cannot touch them — an `_` in a URL or a `*` in code is never taken for emphasis — and restored at the end.
 */

const PLACEHOLDER_OPEN = '\uE000';
const PLACEHOLDER_CLOSE = '\uE001';
const PLACEHOLDER = /\uE000(\d+)\uE001/g;

const CODE_SPAN = /(?<![`\\])(`+)(?!`)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g;
/** Python's `__init__` and the like: CommonMark would make them bold, but in model answers they are names. */
const DUNDER_NAME = /(?<![\w\\])__[A-Za-z][A-Za-z0-9_]*?__(?!\w)/g;
const ESCAPE = /\\([!-/:-@[-`{-~])/g;
const AUTOLINK = /<((?:https?|ftp):\/\/[^\s<>]+|mailto:[^\s<>]+)>/gi;
const LINK_LABEL = String.raw`((?:[^\[\]]|\[[^\[\]]*\])*)`;
const LINK_DESTINATION = String.raw`\(\s*<?((?:[^\s()<>]|\([^\s()]*\))+)>?(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)`;
const IMAGE = new RegExp(String.raw`!\[${LINK_LABEL}\]${LINK_DESTINATION}`, 'g');
const LINK = new RegExp(String.raw`\[${LINK_LABEL}\]${LINK_DESTINATION}`, 'g');
/** Bare URLs (GFM autolinks); `*` is left out so that `**https://…**` still loses its markers. */
const BARE_URL = /\b(?:https?:\/\/|www\.)[A-Za-z0-9\-._~:/?#[\]@!$&'()+,;=%]+/gi;
const HTML_COMMENT = /<!--[\s\S]*?(?:-->|$)/g;
const LINE_BREAK_TAG = /<br\s*\/?>/gi;
/**
 * Only known HTML tags whose attributes all have values are removed: `List<String>`, `a<b & c>d` or `a<b and c>d`
 * in prose must survive (valueless attributes are too rare in model output to be worth that risk).
 */
const HTML_TAG = new RegExp(
  String.raw`</?(?:a|abbr|b|big|blockquote|br|center|cite|code|dd|del|details|div|dl|dt|em|font|h[1-6]|hr|i|img|ins|kbd|li|mark|ol|p|pre|q|s|samp|small|span|strike|strong|sub|summary|sup|table|tbody|td|tfoot|th|thead|tr|tt|u|ul|var)` +
    String.raw`(?:\s+[A-Za-z_:][-\w:.]*\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>\x60]+))*\s*/?>`,
  'gi',
);
const ENTITY = /&(#\d{1,7}|#x[0-9a-f]{1,6}|[a-z]{2,8});/gi;
const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', ensp: ' ', emsp: ' ', thinsp: ' ', copy: '©', reg: '®',
  trade: '™', hellip: '…', mdash: '—', ndash: '–', middot: '·', bull: '•', laquo: '«', raquo: '»', ldquo: '“',
  rdquo: '”', lsquo: '‘', rsquo: '’', times: '×', divide: '÷', deg: '°', plusmn: '±', larr: '←', rarr: '→',
  uarr: '↑', darr: '↓', le: '≤', ge: '≥', ne: '≠', yen: '¥', euro: '€', pound: '£', cent: '¢', sect: '§',
};
/** Trailing characters that end a sentence rather than belong to a bare URL. */
const URL_TRAILING_PUNCTUATION = /[.,;:!?'")\]]+$/;

/** Inline Markdown of one line to plain text (see the module comment). */
export function inlineMarkdownToText(markdown: string): string {
  const literals: string[] = [];
  const keep = (literal: string): string => {
    literals.push(literal);
    return `${PLACEHOLDER_OPEN}${literals.length - 1}${PLACEHOLDER_CLOSE}`;
  };

  let text = markdown.replace(CODE_SPAN, (_match, _ticks: string, code: string) => keep(stripCodeSpanPadding(code)));
  text = text.replace(ESCAPE, (_match, character: string) => keep(character));
  text = text.replace(DUNDER_NAME, (name) => keep(name));
  text = text.replace(AUTOLINK, (_match, url: string) => keep(url.replace(/^mailto:/i, '')));
  text = text.replace(IMAGE, (_match, alt: string, url: string) => (alt.trim() === '' ? `[图片] ${keep(url)}` : `[图片：${alt.trim()}] ${keep(url)}`));
  text = text.replace(LINK, (_match, label: string, url: string) => linkText(label.trim(), url, keep));
  text = text.replace(BARE_URL, (url) => {
    const trailing = URL_TRAILING_PUNCTUATION.exec(url)?.[0] ?? '';
    return keep(url.slice(0, url.length - trailing.length)) + trailing;
  });
  text = text.replace(HTML_COMMENT, '').replace(LINE_BREAK_TAG, '\n').replace(HTML_TAG, '');
  text = text.replace(ENTITY, (match, name: string) => {
    const decoded = decodeEntity(name);
    return decoded === undefined ? match : keep(decoded);
  });
  text = stripEmphasis(text);
  return text.replace(PLACEHOLDER, (match, index: string) => literals[Number(index)] ?? match);
}

/** `text (url)`, or the URL alone when the label is empty or just repeats it. */
function linkText(label: string, url: string, keep: (literal: string) => string): string {
  const bareUrl = url.replace(/^mailto:/i, '');
  const comparable = (value: string): string => value.replace(/^(?:https?:\/\/)?(?:www\.)?/i, '').replace(/\/$/, '').toLowerCase();
  if (label === '' || comparable(label) === comparable(bareUrl)) return keep(bareUrl);
  return `${label} (${keep(bareUrl)})`;
}

/** CommonMark strips one space on each side of a code span's content when both are there (`` ` `` `` ` ``). */
function stripCodeSpanPadding(code: string): string {
  return code.length > 2 && code.startsWith(' ') && code.endsWith(' ') && code.trim() !== '' ? code.slice(1, -1) : code;
}

function decodeEntity(name: string): string | undefined {
  if (name.startsWith('#')) {
    const codePoint = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
    if (codePoint === 0 || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return '\uFFFD';
    return String.fromCodePoint(codePoint);
  }
  return NAMED_ENTITIES[name.toLowerCase()];
}

interface DelimiterRun {
  character: string;
  /** Delimiters of the run still shown; matched pairs are removed from the inner side. */
  remaining: number;
  canOpen: boolean;
  canClose: boolean;
}

/**
 * Removes the markers of `*em*`, `**strong**`, `_em_`, `__strong__` and `~~strike~~`, pairing delimiter runs as
 * CommonMark does (flanking rules, nearest opener first) with three adjustments for what models write:
 * - a CJK character next to a marker counts like whitespace for the flanking rules, so that `**重点：**内容`
 *   (a closing `**` after punctuation and before a letter) loses its markers as readers expect;
 * - a `*` run between two ASCII letters or digits neither opens nor closes, so `2*3*4` and `2**10` stay;
 * - only `~~` strikes through (a single `~` means "about" or a range: `~5 分钟`, `1~3 天`).
 * Unpaired markers stay as they are (`3 * 4`, `snake_case`, `*args`).
 */
function stripEmphasis(text: string): string {
  const parts = text.split(/(\*+|_+|~+)/);
  const runs = new Map<number, DelimiterRun>();
  const openers: number[] = [];
  let offset = parts[0]!.length;
  for (let index = 1; index < parts.length; index += 2) {
    const delimiters = parts[index]!;
    const run = delimiterRun(delimiters, characterBefore(text, offset), characterAfter(text, offset + delimiters.length));
    offset += delimiters.length + (parts[index + 1]?.length ?? 0);
    runs.set(index, run);
    if (run.canClose) closeOpeners(run, runs, openers);
    if (run.canOpen && run.remaining > 0) openers.push(index);
  }
  return parts.map((part, index) => {
    const run = runs.get(index);
    return run === undefined ? part : run.character.repeat(run.remaining);
  }).join('');
}

/** Pairs the closing run with the nearest openers of its kind, removing the openers it passes over (CommonMark). */
function closeOpeners(closer: DelimiterRun, runs: Map<number, DelimiterRun>, openers: number[]): void {
  while (closer.remaining > 0) {
    let position = openers.length - 1;
    while (position >= 0 && runs.get(openers[position]!)!.character !== closer.character) position -= 1;
    if (position < 0) return;
    const opener = runs.get(openers[position]!)!;
    const used = opener.remaining >= 2 && closer.remaining >= 2 ? 2 : 1;
    opener.remaining -= used;
    closer.remaining -= used;
    openers.length = opener.remaining > 0 ? position + 1 : position;
  }
}

function delimiterRun(delimiters: string, before: string, after: string): DelimiterRun {
  const character = delimiters[0]!;
  const inert = { character, remaining: delimiters.length, canOpen: false, canClose: false };
  if (character === '~' && delimiters.length !== 2) return inert;
  if (character === '*' && isAsciiAlphanumeric(before) && isAsciiAlphanumeric(after)) return inert;
  const leftFlanking = !isWhitespace(after) && (!isPunctuation(after) || isWhitespace(before) || isPunctuation(before) || isCjk(before));
  const rightFlanking = !isWhitespace(before) && (!isPunctuation(before) || isWhitespace(after) || isPunctuation(after) || isCjk(after));
  if (character === '_') {
    // Inside a word `_` is a letter (snake_case), as in CommonMark.
    return { ...inert, canOpen: leftFlanking && (!rightFlanking || isPunctuation(before)), canClose: rightFlanking && (!leftFlanking || isPunctuation(after)) };
  }
  return { ...inert, canOpen: leftFlanking, canClose: rightFlanking };
}

/** The code point ending just before `offset` ('' at the start). */
function characterBefore(text: string, offset: number): string {
  if (offset <= 0) return '';
  const pairStart = offset - 2;
  const isPair = pairStart >= 0 && text.codePointAt(pairStart)! > 0xffff;
  return String.fromCodePoint(text.codePointAt(isPair ? pairStart : offset - 1)!);
}

/** The code point starting at `offset` ('' at the end). */
function characterAfter(text: string, offset: number): string {
  return offset >= text.length ? '' : String.fromCodePoint(text.codePointAt(offset)!);
}

/** The start and end of a line count as whitespace. */
function isWhitespace(character: string): boolean {
  return character === '' || /^\s$/u.test(character);
}

function isPunctuation(character: string): boolean {
  return /^[\p{P}\p{S}]$/u.test(character);
}

function isCjk(character: string): boolean {
  return /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303f\uff00-\uffef]$/u.test(character);
}

function isAsciiAlphanumeric(character: string): boolean {
  return /^[A-Za-z0-9]$/.test(character);
}
