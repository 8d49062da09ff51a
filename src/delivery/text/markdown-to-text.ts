import { inlineMarkdownToText } from './inline-markdown-to-text.js';

/**
 * Markdown as models write it (CommonMark with the usual GFM extensions) to plain text that reads well in a
 * WeChat chat bubble, which shows text verbatim:
 *
 * | Markdown | WeChat text |
 * |---|---|
 * | `## 标题` / `Title` + `===` | `【标题】` on its own line (`headingStyle: 'plain'`: `标题`) |
 * | `**bold**`, `*em*`, `_em_`, `~~strike~~`, `` `code` `` | the text without markers |
 * | fenced code block | its content as is, between blank lines, without the fences |
 * | `[text](url)`, `<url>` | `text (url)`, or `url` when the text is the URL |
 * | `![alt](url)` | `[图片：alt] url` (`[图片] url` without alt) |
 * | `- item`, `* item`, nested | `• item`, nested items `◦ item` indented by two spaces per level |
 * | `1. item`, `1) item` | `1. item` (a list numbered 1, 1, 1 becomes 1, 2, 3) |
 * | `- [ ] task`, `- [x] done` | `☐ task`, `☑ done` |
 * | `> quote` | `「quote」` (its content converted too) |
 * | table | one line per row, cells joined by ` \| `, the header row first |
 * | `---`, `***` | a line of `─` |
 * | HTML tags, comments, `&amp;`, `\*` | tags removed (`<br>` is a line break), entities and escapes decoded |
 *
 * Line breaks inside paragraphs are kept (models break lines on purpose), runs of blank lines become one, and
 * the result is trimmed. Text that only looks like Markdown stays as it is: `3*4`, `2**10`, `snake_case`, `__init__`,
 * `#1 priority`, `List<String>`, `~5 分钟`, and CJK punctuation. No HTML is produced and nothing is fetched.
 */

export interface MarkdownToTextOptions {
  /** `brackets` (default): headings become `【Heading】`; `plain`: the heading's text alone. */
  headingStyle?: 'brackets' | 'plain';
}

const FENCE_OPENING = /^([ \t]*)(`{3,}|~{3,})(.*)$/;
const ATX_HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const SETEXT_UNDERLINE = /^ {0,3}(?:=+|-+)[ \t]*$/;
const THEMATIC_BREAK = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const BLOCK_QUOTE = /^ {0,3}>/;
const LIST_ITEM = /^([ \t]*)(?:([-*+])|(\d{1,9})[.)])[ \t]+(.*)$/;
const TASK_BOX = /^\[([ xX])\][ \t]+/;
const TABLE_DELIMITER_ROW = /^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
const RULE = '──────────';
const BULLETS = ['•', '◦'] as const;

/** Markdown to WeChat plain text (see the module comment). */
export function markdownToWeChatText(markdown: string, options: MarkdownToTextOptions = {}): string {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  return convertBlocks(lines, options)
    .join('\n')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/^\n+|\s+$/g, '');
}

/** Nesting of the list items seen since the last paragraph outside a list: their indentation and numbering. */
class ListNesting {
  #levels: Array<{ indentation: number; ordered: boolean; number: number }> = [];

  get active(): boolean {
    return this.#levels.length > 0;
  }

  /** The level (0 = outermost) of an item at `indentation`, and its number when it is numbered. */
  enter(indentation: number, number: number | undefined): { level: number; number: number } {
    while (this.#levels.length > 0 && indentation < this.#levels.at(-1)!.indentation) this.#levels.pop();
    const ordered = number !== undefined;
    let current = this.#levels.at(-1);
    if (current === undefined || indentation > current.indentation) {
      current = { indentation, ordered, number: (number ?? 1) - 1 };
      this.#levels.push(current);
    } else if (current.ordered !== ordered) {
      // A bullet list right after a numbered one (or the reverse) is a new list.
      Object.assign(current, { ordered, number: (number ?? 1) - 1 });
    }
    // Models often number every item 1 (Markdown renumbers); a number not above the previous one continues it.
    current.number = number !== undefined && number > current.number ? number : current.number + 1;
    return { level: this.#levels.length - 1, number: current.number };
  }

  /** How many list levels a continuation line at `indentation` belongs to (0: none, it is not inside the list). */
  depthOf(indentation: number): number {
    return this.#levels.filter((level) => level.indentation < indentation).length;
  }

  reset(): void {
    this.#levels = [];
  }
}

function convertBlocks(lines: readonly string[], options: MarkdownToTextOptions): string[] {
  const output: string[] = [];
  const list = new ListNesting();
  let index = 0;
  while (index < lines.length) {
    const line = lines[index]!;
    const next = lines[index + 1];

    const fence = openingFence(line);
    if (fence !== undefined) {
      let end = index + 1;
      while (end < lines.length && !isClosingFence(lines[end]!, fence.marker)) end += 1;
      output.push('', ...lines.slice(index + 1, end).map((codeLine) => removeIndentation(codeLine, fence.indentation)), '');
      index = end + 1;
      continue;
    }
    if (line.trim() === '') {
      output.push('');
      index += 1;
      continue;
    }
    if (BLOCK_QUOTE.test(line)) {
      let end = index;
      while (end < lines.length && BLOCK_QUOTE.test(lines[end]!)) end += 1;
      output.push(...quote(convertBlocks(lines.slice(index, end).map((quoted) => quoted.replace(/^ {0,3}> ?/, '')), options)));
      list.reset();
      index = end;
      continue;
    }
    if (THEMATIC_BREAK.test(line)) {
      output.push(RULE);
      list.reset();
      index += 1;
      continue;
    }
    const atx = ATX_HEADING.exec(line);
    if (atx !== null) {
      if (atx[2] !== undefined && atx[2].trim() !== '') output.push(heading(atx[2], options));
      list.reset();
      index += 1;
      continue;
    }
    if (next !== undefined && line.includes('|') && TABLE_DELIMITER_ROW.test(next) && next.includes('|')) {
      let end = index + 2;
      while (end < lines.length && lines[end]!.includes('|') && lines[end]!.trim() !== '') end += 1;
      output.push(...[line, ...lines.slice(index + 2, end)].map(tableRow));
      list.reset();
      index = end;
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item !== null) {
      output.push(listItem(item, list));
      index += 1;
      continue;
    }
    if (!list.active && next !== undefined && SETEXT_UNDERLINE.test(next)) {
      output.push(heading(line, options));
      index += 2;
      continue;
    }
    output.push(paragraphLine(line, list));
    index += 1;
  }
  return output;
}

function openingFence(line: string): { indentation: number; marker: string } | undefined {
  const match = FENCE_OPENING.exec(line);
  if (match === null) return undefined;
  // A backtick fence's info string cannot contain backticks: ```a``` on one line is a code span.
  if (match[2]!.startsWith('`') && match[3]!.includes('`')) return undefined;
  return { indentation: indentationWidth(match[1]!), marker: match[2]! };
}

function isClosingFence(line: string, marker: string): boolean {
  const trimmed = line.trim();
  return trimmed.length >= marker.length && [...trimmed].every((character) => character === marker[0]);
}

function heading(text: string, options: MarkdownToTextOptions): string {
  const content = inlineMarkdownToText(text.trim());
  return options.headingStyle === 'plain' ? content : `【${content}】`;
}

/** Wraps converted quote lines in 「」, leaving out blank lines at either end. */
function quote(lines: string[]): string[] {
  const first = lines.findIndex((line) => line.trim() !== '');
  if (first < 0) return [];
  const last = lines.findLastIndex((line) => line.trim() !== '');
  const quoted = lines.slice(first, last + 1);
  quoted[0] = `「${quoted[0]!.trimStart()}`;
  quoted[quoted.length - 1] = `${quoted.at(-1)!}」`;
  return quoted;
}

function tableRow(line: string): string {
  const cells = line.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '').split(/(?<!\\)\|/);
  // In GFM `\|` is a literal pipe everywhere in a table cell, code spans included.
  return cells.map((cell) => inlineMarkdownToText(cell.trim().replaceAll('\\|', '|')).replace(/\n/g, ' ')).join(' | ');
}

function listItem(item: RegExpExecArray, list: ListNesting): string {
  const numbered = item[3] !== undefined ? Number(item[3]) : undefined;
  const { level, number } = list.enter(indentationWidth(item[1]!), numbered);
  let content = item[4]!;
  let box = '';
  const task = TASK_BOX.exec(content);
  if (task !== null) {
    box = task[1] === ' ' ? '☐ ' : '☑ ';
    content = content.slice(task[0].length);
  }
  const marker = numbered !== undefined ? `${number}. ${box}` : box !== '' ? box : `${BULLETS[Math.min(level, BULLETS.length - 1)]} `;
  return `${'  '.repeat(level)}${marker}${inlineMarkdownToText(withoutHardBreak(content))}`;
}

/** A paragraph line; inside a list, an indented line continues the item above and keeps aligned with its text. */
function paragraphLine(line: string, list: ListNesting): string {
  const indentation = indentationWidth(/^[ \t]*/.exec(line)![0]);
  const depth = list.active ? list.depthOf(indentation) : 0;
  if (depth === 0) list.reset();
  return `${'  '.repeat(depth)}${inlineMarkdownToText(withoutHardBreak(line.trim()))}`;
}

/** A backslash at the end of a line is a hard line break in Markdown (the line break is kept anyway); `\\` is not. */
function withoutHardBreak(text: string): string {
  return text.replace(/(^|[^\\])((?:\\\\)*)\\$/, '$1$2');
}

function indentationWidth(whitespace: string): number {
  let width = 0;
  for (const character of whitespace) width += character === '\t' ? 4 - (width % 4) : 1;
  return width;
}

/** Removes up to `width` columns of indentation (the fence's own) from a code line. */
function removeIndentation(line: string, width: number): string {
  let removed = 0;
  let index = 0;
  while (index < line.length && removed < width && (line[index] === ' ' || line[index] === '\t')) {
    removed += line[index] === '\t' ? 4 - (removed % 4) : 1;
    index += 1;
  }
  return line.slice(index);
}
