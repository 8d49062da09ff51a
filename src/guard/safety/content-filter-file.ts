/**
 * Reads CONTENT_FILTER_FILE: the keyword lists of content safety, in YAML (JSON works too, being YAML):
 *
 * ```yaml
 * mask_character: "*"          # optional: what each masked character becomes (default *)
 * both:                        # optional: entries for incoming and outgoing text alike
 *   block: [赌博]
 * incoming:                    # the users' messages, before the AI sees them
 *   block: [敏感词]            # the user gets CONTENT_BLOCKED_MESSAGE; the AI is not asked
 *   mask: [手机号]             # the AI sees *** instead
 * outgoing:                    # the AI's answers, before they are sent
 *   block: ["/代\s*开发票/"]   # /pattern/flags: a regular expression
 *   mask: [竞品名]
 * ```
 *
 * Every section and list is optional; an empty file means no lists. Numbers are read as words (`- 8964`).
 * Synchronous on purpose, like the menu file: `loadConfig` reads it at start-up, so a bad file is one more
 * configuration problem (exit code 2), and the reloading source re-reads it between two messages.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { compileEntry, WordList } from './word-list.js';

/** The compiled lists of both directions. */
export interface ContentRules {
  incoming: WordList;
  outgoing: WordList;
}

/** Every problem of a filter file, one line each (`outgoing.block[2]: not a valid regular expression (…)`). */
export class ContentFilterFileError extends Error {
  override readonly name = 'ContentFilterFileError';
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`Invalid content filter (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}): ${problems.join('; ')}`);
    this.problems = problems;
  }
}

const SECTIONS = ['both', 'incoming', 'outgoing'] as const;
const LISTS = ['block', 'mask'] as const;
type Lists = Record<(typeof LISTS)[number], string[]>;

const firstLine = (text: string): string => text.split('\n', 1)[0]?.trim() ?? '';

/** Reads and checks a filter file. Throws only `ContentFilterFileError`. */
export function loadContentFilterFile(file: string): ContentRules {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ContentFilterFileError([`cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  return parseContentRules(text);
}

/** Parses and checks the text of a filter file. Throws only `ContentFilterFileError`. */
export function parseContentRules(text: string): ContentRules {
  const document = parseDocument(text.replace(/^\uFEFF/, ''));
  if (document.errors.length > 0) throw new ContentFilterFileError(document.errors.map((error) => `not valid YAML: ${firstLine(error.message)}`));
  let value: unknown;
  try {
    value = document.toJS();
  } catch (error) {
    throw new ContentFilterFileError([`not valid YAML: ${firstLine((error as Error).message)}`]);
  }
  const problems: string[] = [];
  const root = value ?? {};
  if (!isMapping(root)) throw new ContentFilterFileError(['expected a mapping with incoming, outgoing or both sections']);
  for (const key of Object.keys(root)) {
    if (key !== 'mask_character' && !(SECTIONS as readonly string[]).includes(key)) problems.push(`${key}: unknown section (expected incoming, outgoing, both or mask_character)`);
  }
  const maskCharacter = root.mask_character ?? '*';
  if (typeof maskCharacter !== 'string' || [...maskCharacter].length !== 1) problems.push('mask_character: expected one character');
  const sections = Object.fromEntries(SECTIONS.map((name) => [name, readSection(name, root[name], problems)])) as Record<(typeof SECTIONS)[number], Lists>;
  if (problems.length > 0) throw new ContentFilterFileError(problems);
  // Answers are Markdown until delivery converts them (see WordList); users' messages are plain text.
  const direction = (name: 'incoming' | 'outgoing'): WordList =>
    new WordList(
      { block: [...sections.both.block, ...sections[name].block], mask: [...sections.both.mask, ...sections[name].mask] },
      { maskCharacter: maskCharacter as string, markdown: name === 'outgoing' },
    );
  return { incoming: direction('incoming'), outgoing: direction('outgoing') };
}

function readSection(name: string, value: unknown, problems: string[]): Lists {
  const lists: Lists = { block: [], mask: [] };
  if (value === undefined || value === null) return lists;
  if (!isMapping(value)) {
    problems.push(`${name}: expected a mapping with block and/or mask lists`);
    return lists;
  }
  for (const key of Object.keys(value)) {
    if (!(LISTS as readonly string[]).includes(key)) problems.push(`${name}.${key}: unknown list (expected block or mask)`);
  }
  for (const list of LISTS) {
    const entries = value[list];
    if (entries === undefined || entries === null) continue;
    if (!Array.isArray(entries)) {
      problems.push(`${name}.${list}: expected a list of words`);
      continue;
    }
    entries.forEach((entry: unknown, index) => {
      const where = `${name}.${list}[${index}]`;
      if (typeof entry !== 'string' && typeof entry !== 'number') return problems.push(`${where}: expected a word or /pattern/`);
      const source = String(entry);
      try {
        compileEntry(source);
        lists[list].push(source);
      } catch (error) {
        problems.push(`${where}: ${(error as Error).message}`);
      }
    });
  }
  return lists;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
