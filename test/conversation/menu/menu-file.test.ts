import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { loadMenuFile, MenuFileError, menuFileFormat } from '../../../src/conversation/menu/menu-file.js';

const folder = mkdtempSync(path.join(tmpdir(), 'wx-menu-'));
after(() => rmSync(folder, { recursive: true, force: true }));

function writeMenu(name: string, content: string): string {
  const file = path.join(folder, name);
  writeFileSync(file, content);
  return file;
}

function problemsOf(file: string): string[] {
  try {
    loadMenuFile(file);
    return [];
  } catch (error) {
    assert.ok(error instanceof MenuFileError);
    return error.problems;
  }
}

const YAML_MENU = `
button:
  - type: click
    name: 今日推荐
    key: TODAY
    prompt: 推荐一本书
  - name: 服务
    sub_button:
      - type: click
        name: 营业时间
        key: HOURS
        reply: |
          周一至周五 9:00–18:00
      - type: view
        name: 官网
        url: https://www.example.com/
`;

const EXPECTED_MENU = {
  button: [
    { type: 'click', name: '今日推荐', key: 'TODAY' },
    { name: '服务', sub_button: [{ type: 'click', name: '营业时间', key: 'HOURS' }, { type: 'view', name: '官网', url: 'https://www.example.com/' }] },
  ],
};

describe('loadMenuFile', () => {
  it('reads YAML (.yaml and .yml) into the wire menu and the actions', () => {
    for (const name of ['menu.yaml', 'menu.YML']) {
      const { menu, actions } = loadMenuFile(writeMenu(name, YAML_MENU));
      assert.deepEqual(menu, EXPECTED_MENU);
      assert.deepEqual([...actions], [['TODAY', { prompt: '推荐一本书' }], ['HOURS', { reply: '周一至周五 9:00–18:00' }]]);
    }
  });

  it('reads JSON (with or without a byte-order mark) into the same result', () => {
    const document = {
      button: [
        { type: 'click', name: '今日推荐', key: 'TODAY', prompt: '推荐一本书' },
        { name: '服务', sub_button: [{ type: 'click', name: '营业时间', key: 'HOURS', reply: '周一至周五 9:00–18:00' }, { type: 'view', name: '官网', url: 'https://www.example.com/' }] },
      ],
    };
    for (const text of [JSON.stringify(document), `\uFEFF${JSON.stringify(document, null, 2)}`]) {
      const { menu, actions } = loadMenuFile(writeMenu('menu.json', text));
      assert.deepEqual(menu, EXPECTED_MENU);
      assert.equal(actions.size, 2);
    }
  });

  it('the example menu is valid', () => {
    const { menu, actions } = loadMenuFile(path.join(import.meta.dirname, '..', '..', '..', 'examples', 'menu.yaml'));
    assert.equal(menu.button.length, 3);
    assert.ok(actions.size > 0);
  });

  it('chooses the format by extension', () => {
    assert.equal(menuFileFormat('a/menu.json'), 'json');
    assert.equal(menuFileFormat('menu.Yaml'), 'yaml');
    assert.equal(menuFileFormat('menu.yml'), 'yaml');
    assert.equal(menuFileFormat('menu.toml'), undefined);
    assert.deepEqual(problemsOf(writeMenu('menu.txt', YAML_MENU)), ['expected a .json, .yaml or .yml file']);
  });

  it('reports an unreadable file, bad syntax and rule violations as MenuFileError', () => {
    assert.deepEqual(problemsOf(path.join(folder, 'missing.yaml')), ['cannot read the file (ENOENT)']);
    assert.match(problemsOf(writeMenu('broken.json', '{ "button": [ }'))[0]!, /^not valid JSON: /);
    assert.match(problemsOf(writeMenu('broken.yaml', 'button:\n  - name: a\n   type: click\n'))[0]!, /^not valid YAML: /);
    assert.match(problemsOf(writeMenu('duplicate.yaml', 'button: []\nbutton: []\n'))[0]!, /^not valid YAML: .*unique/i);
    assert.deepEqual(problemsOf(writeMenu('empty.yaml', '')), ['expected an object with a "button" list, got null']);
    assert.deepEqual(problemsOf(writeMenu('number-key.yaml', 'button:\n  - type: click\n    name: A\n    key: 123\n')), ['button[0].key: expected text, got a number']);
  });

  it('an alias bomb is refused, not expanded', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let level = 1; level <= 8; level++) lines.push(`${String.fromCharCode(97 + level)}: &${String.fromCharCode(97 + level)} [${Array(10).fill(`*${String.fromCharCode(96 + level)}`).join(',')}]`);
    lines.push('button: *i');
    assert.match(problemsOf(writeMenu('bomb.yaml', lines.join('\n')))[0]!, /^not valid YAML: /);
  });
});

describe('MENU_FILE in the configuration', () => {
  const account = { WECHAT_TOKEN: 'token123', WECHAT_APPID: 'wx1234567890abcdef' };

  it('loads the menu at start-up, resolving the path against the working directory', () => {
    writeMenu('config-menu.yaml', YAML_MENU);
    const config = loadConfig({ ...account, MENU_FILE: 'config-menu.yaml' }, { cwd: folder, envFile: false });
    assert.equal(config.menuFile, path.join(folder, 'config-menu.yaml'));
    assert.deepEqual(config.menu?.menu, EXPECTED_MENU);
    assert.equal(config.menu?.actions.get('TODAY') !== undefined, true);
  });

  it('without MENU_FILE there is no menu', () => {
    const config = loadConfig(account, { cwd: folder, envFile: false });
    assert.equal(config.menu, undefined);
    assert.equal(config.menuFile, undefined);
  });

  it('an invalid menu is a configuration problem: one MENU_FILE line per problem, with the others', () => {
    const file = writeMenu('bad-menu.json', JSON.stringify({ button: [{ type: 'click', name: '一二三四五六', key: 'A', reply: 'r', prompt: 'p' }] }));
    assert.throws(() => loadConfig({ ...account, PORT: 'abc', MENU_FILE: file }, { cwd: folder, envFile: false }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.problems, [
        `MENU_FILE: ${file}: button[0].name: longer than 16 bytes (got 18; a Chinese character takes 3)`,
        `MENU_FILE: ${file}: button[0]: has both reply and prompt; give one of them`,
        'PORT: expected an integer from 0 to 65535, got "abc"',
      ]);
      return true;
    });
  });

  it('a missing menu file is a configuration problem', () => {
    assert.throws(() => loadConfig({ ...account, MENU_FILE: 'nope.yaml' }, { cwd: folder, envFile: false }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.problems, [`MENU_FILE: ${path.join(folder, 'nope.yaml')}: cannot read the file (ENOENT)`]);
      return true;
    });
  });
});
