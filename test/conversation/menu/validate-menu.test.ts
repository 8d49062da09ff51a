import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MenuFileError } from '../../../src/conversation/menu/menu-file-error.js';
import { validateMenu } from '../../../src/conversation/menu/validate-menu.js';

/** The problems `validateMenu` reports for `document`, one `path: message` line each ([] when valid). */
function problemsOf(document: unknown): string[] {
  try {
    validateMenu(document);
    return [];
  } catch (error) {
    assert.ok(error instanceof MenuFileError);
    return error.problems;
  }
}

const click = (name: string, key: string, extra: Record<string, unknown> = {}) => ({ type: 'click', name, key, ...extra });
const view = (name: string, url = 'https://example.com/') => ({ type: 'view', name, url });

describe('validateMenu: a valid menu', () => {
  it('returns the wire menu with reply/prompt stripped, fields in a fixed order, and the actions by key', () => {
    const { menu, actions } = validateMenu({
      button: [
        { key: 'A', name: 'A', type: 'click', reply: '  fixed answer \n' },
        { name: 'More', sub_button: [click('Ask', 'B', { prompt: 'Tell me a joke' }), view('Site'), click('Plain', 'C')] },
        { type: 'media_id', name: 'Media', media_id: 'MEDIA' },
      ],
    });
    assert.deepEqual(menu, {
      button: [
        { type: 'click', name: 'A', key: 'A' },
        { name: 'More', sub_button: [{ type: 'click', name: 'Ask', key: 'B' }, { type: 'view', name: 'Site', url: 'https://example.com/' }, { type: 'click', name: 'Plain', key: 'C' }] },
        { type: 'media_id', name: 'Media', media_id: 'MEDIA' },
      ],
    });
    assert.deepEqual(Object.keys(menu.button[0]!), ['type', 'name', 'key']);
    assert.deepEqual([...actions], [['A', { reply: 'fixed answer' }], ['B', { prompt: 'Tell me a joke' }]]);
  });

  it('accepts every WeChat button type with the fields it needs', () => {
    const buttons = [
      click('click', 'K1'),
      view('view'),
      { type: 'miniprogram', name: 'mini', url: 'https://example.com/', appid: 'wx0123456789abcdef', pagepath: 'pages/index' },
      { type: 'scancode_push', name: 'scan', key: 'K2' },
      { type: 'scancode_waitmsg', name: 'scan wait', key: 'K3' },
      { type: 'pic_sysphoto', name: 'photo', key: 'K4' },
      { type: 'pic_photo_or_album', name: 'album', key: 'K5' },
      { type: 'pic_weixin', name: 'wx album', key: 'K6' },
      { type: 'location_select', name: 'location', key: 'K7' },
      { type: 'media_id', name: 'media', media_id: 'M' },
      { type: 'view_limited', name: 'media page', media_id: 'M2' },
      { type: 'article_id', name: 'article', article_id: 'A1' },
      { type: 'article_view_limited', name: 'article page', article_id: 'A2' },
    ];
    const menu = { button: [
      { name: 'one', sub_button: buttons.slice(0, 5) },
      { name: 'two', sub_button: buttons.slice(5, 10) },
      { name: 'three', sub_button: buttons.slice(10) },
    ] };
    assert.deepEqual(problemsOf(menu), []);
  });

  it('accepts exactly the limits: 3 buttons, 5 sub-buttons, 16/60-byte names, 128-byte keys, 1024-byte URLs', () => {
    const url = `https://example.com/${'a'.repeat(1024 - 'https://example.com/'.length)}`;
    assert.deepEqual(problemsOf({ button: [
      click('一二三四五', 'k'.repeat(128)), // 15 bytes
      { name: 'x'.repeat(16), sub_button: [1, 2, 3, 4, 5].map((index) => click('一'.repeat(20), `S${index}`)) }, // 60 bytes
      view('v', url),
    ] }), []);
  });

  it('accepts WeChat\'s own menu/get output, where leaves carry an empty sub_button', () => {
    const { menu } = validateMenu({ button: [{ type: 'click', name: 'A', key: 'A', sub_button: [] }] });
    assert.deepEqual(menu, { button: [{ type: 'click', name: 'A', key: 'A' }] });
  });
});

describe('validateMenu: problems, each named by its path', () => {
  it('the document itself', () => {
    assert.deepEqual(problemsOf([]), ['expected an object with a "button" list, got a list']);
    assert.deepEqual(problemsOf(null), ['expected an object with a "button" list, got null']);
    assert.deepEqual(problemsOf({}), ['button: required']);
    assert.deepEqual(problemsOf({ button: {} }), ['button: expected a list of buttons, got an object']);
    assert.deepEqual(problemsOf({ button: [click('A', 'A')], menuid: 1 }), ['menuid: unknown field']);
  });

  it('1 to 3 top-level buttons', () => {
    assert.deepEqual(problemsOf({ button: [] }), ['button: at least 1 button']);
    const four = [1, 2, 3, 4].map((index) => click(`B${index}`, `K${index}`));
    assert.deepEqual(problemsOf({ button: four }), ["button: at most 3 top-level buttons (WeChat's limit), got 4"]);
  });

  it('1 to 5 sub-buttons', () => {
    const six = [1, 2, 3, 4, 5, 6].map((index) => click(`S${index}`, `K${index}`));
    assert.deepEqual(problemsOf({ button: [{ name: 'P', sub_button: six }] }), ["button[0].sub_button: at most 5 sub-buttons (WeChat's limit), got 6"]);
    assert.deepEqual(problemsOf({ button: [{ name: 'P', sub_button: [] }] }), ['button[0].sub_button: at least 1 sub-button']);
    assert.deepEqual(problemsOf({ button: [{ name: 'P', sub_button: 'x' }] }), ['button[0].sub_button: expected a list of buttons, got a string']);
  });

  it('names: required, not blank, ≤ 16 bytes at the top level and ≤ 60 bytes in a sub-menu (UTF-8)', () => {
    assert.deepEqual(problemsOf({ button: [{ type: 'click', key: 'A' }] }), ['button[0].name: required']);
    assert.deepEqual(problemsOf({ button: [click('  ', 'A')] }), ['button[0].name: must not be empty']);
    assert.deepEqual(problemsOf({ button: [click('一二三四五六', 'A')] }), ['button[0].name: longer than 16 bytes (got 18; a Chinese character takes 3)']);
    assert.deepEqual(
      problemsOf({ button: [click('A', 'A'), { name: 'P', sub_button: [click('B', 'B'), click('C', 'C'), click('x'.repeat(61), 'D')] }] }),
      ['button[1].sub_button[2].name: longer than 60 bytes (got 61; a Chinese character takes 3)'],
    );
    assert.deepEqual(problemsOf({ button: [click(7 as unknown as string, 'A')] }), ['button[0].name: expected text, got a number']);
  });

  it('keys: ≤ 128 bytes and unique across the whole menu', () => {
    assert.deepEqual(problemsOf({ button: [click('A', 'k'.repeat(129))] }), ['button[0].key: longer than 128 bytes (got 129)']);
    assert.deepEqual(
      problemsOf({ button: [click('A', 'SAME'), { name: 'P', sub_button: [{ type: 'pic_weixin', name: 'B', key: 'SAME' }] }] }),
      ['button[1].sub_button[0].key: "SAME" is already used by button[0].key; keys must be unique'],
    );
  });

  it('URLs: ≤ 1024 bytes and http(s)', () => {
    assert.deepEqual(problemsOf({ button: [view('V', `https://example.com/${'a'.repeat(1005)}`)] }), ['button[0].url: longer than 1024 bytes (got 1025)']);
    assert.deepEqual(problemsOf({ button: [view('V', 'ftp://example.com/')] }), ['button[0].url: expected an http:// or https:// URL']);
    assert.deepEqual(problemsOf({ button: [view('V', 'not a url')] }), ['button[0].url: expected an http:// or https:// URL']);
  });

  it('types: known, with the fields each needs, and without the fields of other types', () => {
    assert.match(problemsOf({ button: [{ type: 'clik', name: 'A', key: 'A' }] })[0]!, /^button\[0\]\.type: expected one of click, view, miniprogram, .*, got "clik"$/);
    assert.deepEqual(problemsOf({ button: [{ type: 'click', name: 'A' }] }), ['button[0].key: required for click buttons']);
    assert.deepEqual(problemsOf({ button: [{ type: 'view', name: 'V' }] }), ['button[0].url: required for view buttons']);
    assert.deepEqual(problemsOf({ button: [{ type: 'miniprogram', name: 'M', url: 'https://example.com/' }] }), [
      'button[0].appid: required for miniprogram buttons',
      'button[0].pagepath: required for miniprogram buttons',
    ]);
    assert.deepEqual(problemsOf({ button: [{ type: 'media_id', name: 'M' }] }), ['button[0].media_id: required for media_id buttons']);
    assert.deepEqual(problemsOf({ button: [{ type: 'article_view_limited', name: 'M' }] }), ['button[0].article_id: required for article_view_limited buttons']);
    assert.deepEqual(problemsOf({ button: [click('A', 'A', { url: 'https://example.com/' })] }), ['button[0].url: not used by click buttons']);
    assert.deepEqual(problemsOf({ button: [{ name: 'A', key: 'A' }] }), ['button[0].type: required (or sub_button, for a button that opens a sub-menu)']);
    assert.deepEqual(problemsOf({ button: [{ name: 'P', sub_button: [{ name: 'A', key: 'A' }] }] }), ['button[0].sub_button[0].type: required']);
  });

  it('parents: only a name and sub_button; no third level', () => {
    assert.deepEqual(problemsOf({ button: [{ type: 'click', key: 'A', name: 'P', sub_button: [click('B', 'B')] }] }), [
      'button[0].type: not used by a button with sub_button (it only opens its sub-menu)',
      'button[0].key: not used by a button with sub_button (it only opens its sub-menu)',
    ]);
    assert.deepEqual(
      problemsOf({ button: [{ name: 'P', sub_button: [{ name: 'Q', sub_button: [click('B', 'B')] }] }] }),
      ['button[0].sub_button[0].sub_button: unknown field', 'button[0].sub_button[0].type: required'],
    );
  });

  it('reply or prompt: one of them, only on click buttons, not empty, reply ≤ 2048 bytes', () => {
    assert.deepEqual(problemsOf({ button: [click('A', 'A', { reply: 'r', prompt: 'p' })] }), ['button[0]: has both reply and prompt; give one of them']);
    assert.deepEqual(problemsOf({ button: [{ type: 'scancode_push', name: 'S', key: 'S', reply: 'r' }] }), [
      "button[0].reply: only click buttons have a reply (other buttons' events do not reach the menu click handler)",
    ]);
    assert.deepEqual(problemsOf({ button: [{ ...view('V'), prompt: 'p' }] }), [
      "button[0].prompt: only click buttons have a prompt (other buttons' events do not reach the menu click handler)",
    ]);
    assert.deepEqual(problemsOf({ button: [click('A', 'A', { prompt: ' ' })] }), ['button[0].prompt: must not be empty']);
    assert.deepEqual(problemsOf({ button: [click('A', 'A', { reply: '好'.repeat(683) })] }), ['button[0].reply: longer than 2048 bytes (got 2049)']);
  });

  it('unknown fields are reported one by one (typos are not silently ignored)', () => {
    assert.deepEqual(problemsOf({ button: [{ type: 'click', name: 'A', kye: 'A', key: 'A', replly: 'x' }] }), [
      'button[0].kye: unknown field',
      'button[0].replly: unknown field',
    ]);
    assert.deepEqual(problemsOf({ button: [click('A', 'A')], matchrule: {} }), ['matchrule: unknown field (conditional menus are not supported in a menu file)']);
  });

  it('reports every problem of the menu at once', () => {
    const problems = problemsOf({
      button: [
        click('一二三四五六', 'A'),
        { name: 'P', sub_button: [click('B', 'A'), { type: 'view', name: 'V' }, 'oops'] },
        click('C', 'C', { reply: 'r', prompt: 'p' }),
        click('D', 'D'),
      ],
    });
    assert.deepEqual(problems, [
      "button: at most 3 top-level buttons (WeChat's limit), got 4",
      'button[0].name: longer than 16 bytes (got 18; a Chinese character takes 3)',
      'button[1].sub_button[0].key: "A" is already used by button[0].key; keys must be unique',
      'button[1].sub_button[1].url: required for view buttons',
      'button[1].sub_button[2]: expected an object (a button), got a string',
      'button[2]: has both reply and prompt; give one of them',
    ]);
  });

  it('the error message lists the problems and the count', () => {
    assert.throws(() => validateMenu({ button: [] }), (error: unknown) => {
      assert.ok(error instanceof MenuFileError);
      assert.equal(error.message, 'Invalid menu (1 problem): button: at least 1 button');
      assert.deepEqual(error.issues, [{ path: 'button', message: 'at least 1 button' }]);
      return true;
    });
  });
});
