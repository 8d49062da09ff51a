/**
 * `loadMenuFile(path)`: reads the custom-menu file named by `MENU_FILE` — JSON (`.json`) or YAML (`.yaml`,
 * `.yml`) in WeChat's menu shape plus `reply`/`prompt` on click buttons (see validate-menu.ts and
 * examples/menu.yaml) — and returns the menu for WeChat and the click actions, or throws `MenuFileError` with
 * every problem (unreadable file, syntax, rule violations).
 *
 * Synchronous on purpose: the file is read once, at start-up, by the synchronous `loadConfig`, so a bad menu is
 * reported with the other configuration problems before anything starts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { MenuFileError } from './menu-file-error.js';
import { validateMenu } from './validate-menu.js';
import type { MenuDefinition } from './wechat-menu.js';

export { MenuFileError, type MenuIssue } from './menu-file-error.js';

export type MenuFileFormat = 'json' | 'yaml';

/** The format a file name stands for, by extension (case-insensitive); `undefined` for any other extension. */
export function menuFileFormat(file: string): MenuFileFormat | undefined {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.json') return 'json';
  if (extension === '.yaml' || extension === '.yml') return 'yaml';
  return undefined;
}

const firstLine = (text: string): string => text.split('\n', 1)[0]?.trim() ?? '';

/** Parses menu text into a plain value (not yet validated); syntax errors become a `MenuFileError`. */
export function parseMenuText(text: string, format: MenuFileFormat): unknown {
  const source = text.replace(/^\uFEFF/, '');
  if (format === 'json') {
    try {
      return JSON.parse(source) as unknown;
    } catch (error) {
      throw new MenuFileError([{ path: '', message: `not valid JSON: ${firstLine((error as Error).message)}` }]);
    }
  }
  // Duplicate keys are errors and aliases are bounded by `yaml`'s defaults, so a hostile file cannot blow up.
  const document = parseDocument(source);
  if (document.errors.length > 0) {
    throw new MenuFileError(document.errors.map((error) => ({ path: '', message: `not valid YAML: ${firstLine(error.message)}` })));
  }
  try {
    return document.toJS() as unknown;
  } catch (error) {
    // e.g. "Excessive alias count": an alias bomb.
    throw new MenuFileError([{ path: '', message: `not valid YAML: ${firstLine((error as Error).message)}` }]);
  }
}

/** Reads, parses and validates a menu file. Throws only `MenuFileError`. */
export function loadMenuFile(file: string): MenuDefinition {
  const format = menuFileFormat(file);
  if (format === undefined) {
    throw new MenuFileError([{ path: '', message: 'expected a .json, .yaml or .yml file' }]);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new MenuFileError([{ path: '', message: `cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})` }]);
  }
  return validateMenu(parseMenuText(text, format));
}
