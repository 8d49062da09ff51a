/**
 * `validateMenu(value)`: checks a menu document — parsed from `MENU_FILE` or received by `PUT /admin/api/menu` —
 * against WeChat's rules and this service's additions, and splits it into the menu WeChat gets and the click
 * actions this service runs.
 *
 * The document is WeChat's `/cgi-bin/menu/create` body, where `click` buttons may also carry `reply` (a fixed
 * text answer) or `prompt` (asked to the assistant as if typed). Every problem is reported, each with its path
 * (`button[1].sub_button[2].name: longer than 60 bytes …`), in one `MenuFileError`. Limits are WeChat's:
 * 1–3 top-level buttons, 1–5 sub-buttons, names ≤ 16 bytes (top level) / ≤ 60 bytes (sub level) in UTF-8,
 * keys ≤ 128 bytes, URLs ≤ 1024 bytes. Keys must also be unique, because actions are looked up by key.
 *
 * Each button's fields are checked by a zod schema; the tree is walked here rather than by one nested schema,
 * and the rules between fields (type ↔ fields, reply/prompt, unique keys) are checked on the raw object, because
 * zod skips a list's length checks and an object's refinements once something inside fails — and the operator
 * should see every problem at once.
 */
import { z } from 'zod';
import { utf8ByteLength } from '../../delivery/text/split-by-bytes.js';
import { MenuFileError, type MenuIssue } from './menu-file-error.js';
import {
  MENU_BUTTON_TYPES, type MenuAction, type MenuButton, type MenuButtonType, type MenuDefinition, type MenuLeafButton,
} from './wechat-menu.js';

const MAX_TOP_LEVEL_BUTTONS = 3;
const MAX_SUB_BUTTONS = 5;
const MAX_TOP_LEVEL_NAME_BYTES = 16;
const MAX_SUB_LEVEL_NAME_BYTES = 60;
const MAX_KEY_BYTES = 128;
const MAX_URL_BYTES = 1024;
/** A passive reply carries at most 2048 bytes (SPEC §4). */
const MAX_REPLY_BYTES = 2048;

/** The wire fields that depend on the button type (everything but `type`, `name` and `sub_button`). */
const TYPED_FIELDS = ['key', 'url', 'media_id', 'appid', 'pagepath', 'article_id'] as const;
type TypedField = (typeof TYPED_FIELDS)[number];

/** The fields each type needs; the other typed fields are not used by it (and are refused, to catch mix-ups). */
const FIELDS_BY_TYPE: Record<MenuButtonType, readonly TypedField[]> = {
  click: ['key'],
  view: ['url'],
  miniprogram: ['url', 'appid', 'pagepath'],
  scancode_push: ['key'],
  scancode_waitmsg: ['key'],
  pic_sysphoto: ['key'],
  pic_photo_or_album: ['key'],
  pic_weixin: ['key'],
  location_select: ['key'],
  media_id: ['media_id'],
  view_limited: ['media_id'],
  article_id: ['article_id'],
  article_view_limited: ['article_id'],
};

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

const textSchema = z.string({ error: (issue) => (issue.input === undefined ? 'required' : `expected text, got ${describeType(issue.input)}`) });
const nonEmptyText = textSchema.refine((value) => value.trim() !== '', 'must not be empty');

function boundedText(maxBytes: number, hint = ''): z.ZodType<string> {
  return nonEmptyText.superRefine((value, context) => {
    const bytes = utf8ByteLength(value);
    if (bytes > maxBytes) context.addIssue({ code: 'custom', message: `longer than ${maxBytes} bytes (got ${bytes}${hint})` });
  });
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

const CHINESE_HINT = '; a Chinese character takes 3';

function buttonFields(maxNameBytes: number) {
  return {
    type: z.enum(MENU_BUTTON_TYPES, { error: (issue) => `expected one of ${MENU_BUTTON_TYPES.join(', ')}, got ${JSON.stringify(issue.input)}` }).optional(),
    name: boundedText(maxNameBytes, CHINESE_HINT),
    key: boundedText(MAX_KEY_BYTES).optional(),
    url: boundedText(MAX_URL_BYTES).refine(isHttpUrl, 'expected an http:// or https:// URL').optional(),
    media_id: nonEmptyText.optional(),
    appid: nonEmptyText.optional(),
    pagepath: nonEmptyText.optional(),
    article_id: nonEmptyText.optional(),
    reply: boundedText(MAX_REPLY_BYTES).optional(),
    prompt: nonEmptyText.optional(),
  };
}

const objectError = { error: (issue: { input?: unknown }) => `expected an object (a button), got ${describeType(issue.input)}` };
// `sub_button` is only looked at here; its elements are walked one by one (see the header).
const topLevelButtonSchema = z.strictObject({ ...buttonFields(MAX_TOP_LEVEL_NAME_BYTES), sub_button: z.unknown().optional() }, objectError);
const subLevelButtonSchema = z.strictObject(buttonFields(MAX_SUB_LEVEL_NAME_BYTES), objectError);

type ParsedButton = z.infer<typeof subLevelButtonSchema> & { sub_button?: unknown };

/** Collects issues with paths relative to the document. */
class IssueList {
  readonly issues: MenuIssue[] = [];

  add(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  addZodIssues(prefix: string, error: z.ZodError): void {
    for (const issue of error.issues) {
      const path = joinPath(prefix, issue.path);
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) this.add(joinPath(path, [key]), unknownFieldMessage(key));
      } else {
        this.add(path, issue.message);
      }
    }
  }
}

function unknownFieldMessage(field: string): string {
  if (field === 'matchrule') return 'unknown field (conditional menus are not supported in a menu file)';
  return 'unknown field';
}

function joinPath(prefix: string, segments: readonly PropertyKey[]): string {
  let path = prefix;
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else path += path === '' ? String(segment) : `.${String(segment)}`;
  }
  return path;
}

interface WalkState {
  issues: IssueList;
  actions: Map<string, MenuAction>;
  /** Where each key was first used, for the duplicate message. */
  keyPaths: Map<string, string>;
}

type RawButton = Record<string, unknown>;

const isRecord = (value: unknown): value is RawButton => typeof value === 'object' && value !== null && !Array.isArray(value);
const isButtonType = (value: unknown): value is MenuButtonType => (MENU_BUTTON_TYPES as readonly unknown[]).includes(value);

/**
 * The rules between fields of a leaf, checked on the raw object — only presence and the key's value matter — so
 * they are reported even when a field's own value is wrong (that is zod's report).
 */
function checkLeafRules(button: RawButton, path: string, state: WalkState, missingType: string): void {
  const { issues } = state;
  if (button.type === undefined) issues.add(joinPath(path, ['type']), missingType);
  if (isButtonType(button.type)) {
    const type = button.type;
    const needed = FIELDS_BY_TYPE[type];
    for (const field of TYPED_FIELDS) {
      const present = button[field] !== undefined;
      if (needed.includes(field) && !present) issues.add(joinPath(path, [field]), `required for ${type} buttons`);
      if (!needed.includes(field) && present) issues.add(joinPath(path, [field]), `not used by ${type} buttons`);
    }
    for (const field of ['reply', 'prompt'] as const) {
      if (button[field] !== undefined && type !== 'click') {
        issues.add(joinPath(path, [field]), `only click buttons have a ${field} (other buttons' events do not reach the menu click handler)`);
      }
    }
  }
  if (button.reply !== undefined && button.prompt !== undefined) issues.add(path, 'has both reply and prompt; give one of them');
  if (typeof button.key === 'string') {
    const firstUse = state.keyPaths.get(button.key);
    if (firstUse === undefined) state.keyPaths.set(button.key, joinPath(path, ['key']));
    else issues.add(joinPath(path, ['key']), `${JSON.stringify(button.key)} is already used by ${firstUse}; keys must be unique`);
  }
}

/** A valid leaf in wire shape — fields in a fixed order, `reply`/`prompt` left out — recording its action. */
function wireLeaf(button: ParsedButton & { type: MenuButtonType }, state: WalkState): MenuLeafButton {
  const leaf: MenuLeafButton = { type: button.type, name: button.name };
  for (const field of FIELDS_BY_TYPE[button.type]) leaf[field] = button[field];
  if (button.key !== undefined && button.type === 'click') {
    if (button.reply !== undefined) state.actions.set(button.key, { reply: button.reply.trim() });
    else if (button.prompt !== undefined) state.actions.set(button.key, { prompt: button.prompt.trim() });
  }
  return leaf;
}

/** Checks one leaf (`schema` says which level); `undefined` when it has problems. */
function leafButton(value: unknown, schema: z.ZodType<ParsedButton>, path: string, state: WalkState, missingType = 'required'): MenuLeafButton | undefined {
  const before = state.issues.issues.length;
  const parsed = schema.safeParse(value);
  if (!parsed.success) state.issues.addZodIssues(path, parsed.error);
  if (!isRecord(value)) return undefined;
  checkLeafRules(value, path, state, missingType);
  if (!parsed.success || state.issues.issues.length > before || parsed.data.type === undefined) return undefined;
  return wireLeaf({ ...parsed.data, type: parsed.data.type }, state);
}

function subButtons(value: unknown, path: string, state: WalkState): MenuLeafButton[] | undefined {
  if (!Array.isArray(value)) {
    state.issues.add(path, `expected a list of buttons, got ${describeType(value)}`);
    return undefined;
  }
  if (value.length === 0) state.issues.add(path, 'at least 1 sub-button');
  if (value.length > MAX_SUB_BUTTONS) state.issues.add(path, `at most ${MAX_SUB_BUTTONS} sub-buttons (WeChat's limit), got ${value.length}`);
  const leaves = value.map((element, index) => leafButton(element, subLevelButtonSchema, joinPath(path, [index]), state));
  return leaves.every((leaf) => leaf !== undefined) ? leaves : undefined;
}

function topLevelButton(value: unknown, path: string, state: WalkState): MenuButton | undefined {
  // WeChat's own menu/get answer lists `sub_button: []` on every leaf; accept that, so its output can be sent back.
  const isParent = isRecord(value) && value.sub_button !== undefined
    && !(value.type !== undefined && Array.isArray(value.sub_button) && value.sub_button.length === 0);
  if (!isParent) return leafButton(value, topLevelButtonSchema, path, state, 'required (or sub_button, for a button that opens a sub-menu)');
  const before = state.issues.issues.length;
  const parsed = topLevelButtonSchema.safeParse(value);
  if (!parsed.success) state.issues.addZodIssues(path, parsed.error);
  for (const field of ['type', ...TYPED_FIELDS, 'reply', 'prompt'] as const) {
    if (value[field] !== undefined) state.issues.add(joinPath(path, [field]), 'not used by a button with sub_button (it only opens its sub-menu)');
  }
  const children = subButtons(value.sub_button, joinPath(path, ['sub_button']), state);
  if (!parsed.success || children === undefined || state.issues.issues.length > before) return undefined;
  return { name: parsed.data.name, sub_button: children };
}

/** Validates a menu document; throws `MenuFileError` listing every problem. */
export function validateMenu(document: unknown): MenuDefinition {
  const state: WalkState = { issues: new IssueList(), actions: new Map(), keyPaths: new Map() };
  const { issues } = state;
  if (!isRecord(document)) {
    issues.add('', `expected an object with a "button" list, got ${describeType(document)}`);
    throw new MenuFileError(issues.issues);
  }
  for (const field of Object.keys(document)) {
    if (field !== 'button') issues.add(field, unknownFieldMessage(field));
  }
  const list = document.button;
  if (!Array.isArray(list)) {
    issues.add('button', list === undefined ? 'required' : `expected a list of buttons, got ${describeType(list)}`);
    throw new MenuFileError(issues.issues);
  }
  if (list.length === 0) issues.add('button', 'at least 1 button');
  if (list.length > MAX_TOP_LEVEL_BUTTONS) issues.add('button', `at most ${MAX_TOP_LEVEL_BUTTONS} top-level buttons (WeChat's limit), got ${list.length}`);
  const buttons = list.map((element, index) => topLevelButton(element, joinPath('button', [index]), state));
  if (issues.issues.length > 0) throw new MenuFileError(issues.issues);
  return { menu: { button: buttons as MenuButton[] }, actions: state.actions };
}
