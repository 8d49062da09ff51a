/**
 * `wx-backend menu push|show|delete` against the fake WeChat API, in-process.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { assertNoStackTrace, startCliFixture, type CliFixture } from './cli-fixture.js';

const MENU_YAML = `button:
  - type: click
    name: 今日推荐
    key: TODAY
    prompt: 推荐一本书
  - name: 服务
    sub_button:
      - type: click
        name: 营业时间
        key: HOURS
        reply: 周一至周五 9:00–18:00
      - type: view
        name: 官网
        url: https://www.example.com/
`;

describe('wx-backend menu', () => {
  let fixture: CliFixture;
  let menuFile = '';
  before(async () => {
    fixture = await startCliFixture();
    menuFile = path.join(fixture.folder, 'menu.yaml');
    writeFileSync(menuFile, MENU_YAML);
  });
  beforeEach(() => {
    fixture.fake.state.menu = undefined;
  });
  after(() => fixture.close());

  it('push FILE sets the menu without reply/prompt, which stay on the server', async () => {
    const result = await fixture.run(['menu', 'push', 'menu.yaml']);
    assert.equal(result.code, 0, result.output);
    assert.match(result.stdout, /menu pushed: 2 top-level buttons/);
    assert.match(result.stderr, /2 buttons have a reply or prompt.*MENU_FILE/);
    assert.deepEqual(fixture.fake.state.menu?.buttons, [
      { type: 'click', name: '今日推荐', key: 'TODAY' },
      {
        name: '服务',
        sub_button: [
          { type: 'click', name: '营业时间', key: 'HOURS' },
          { type: 'view', name: '官网', url: 'https://www.example.com/' },
        ],
      },
    ]);
  });

  it('push says nothing about actions when MENU_FILE names the pushed file', async () => {
    const result = await fixture.run(['menu', 'push', menuFile], { env: fixture.env({ MENU_FILE: menuFile }) });
    assert.equal(result.code, 0, result.output);
    assert.equal(result.stderr, '');
  });

  it('push of an invalid file prints every problem with exit code 2 and sends nothing', async () => {
    const bad = path.join(fixture.folder, 'bad.json');
    writeFileSync(bad, JSON.stringify({
      button: [{ type: 'click', name: '这个名字实在是太长了吧', key: 'A' }, { type: 'view', name: 'Site' }, { type: 'teleport', name: 'X', key: 'B' }],
    }));
    const calls = fixture.fake.calls.length;
    const result = await fixture.run(['menu', 'push', bad]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /bad\.json is not a valid menu \(3 problems\):/);
    assert.match(result.stderr, /^ {2}button\[0\]\.name: longer than 16 bytes/m);
    assert.match(result.stderr, /^ {2}button\[1\]/m);
    assert.match(result.stderr, /^ {2}button\[2\]\.type/m);
    assert.equal(fixture.fake.calls.length, calls);
    assert.equal(fixture.fake.state.menu, undefined);
  });

  it('push of a missing or unsupported file: exit 2', async () => {
    const missing = await fixture.run(['menu', 'push', 'nowhere.yaml']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read the file \(ENOENT\)/);
    const text = await fixture.run(['menu', 'push', 'menu.txt']);
    assert.equal(text.code, 2);
    assert.match(text.stderr, /expected a \.json, \.yaml or \.yml file/);
  });

  it('push --dry-run prints the menu WeChat would get and sends nothing', async () => {
    const calls = fixture.fake.calls.length;
    const result = await fixture.run(['menu', 'push', 'menu.yaml', '--dry-run']);
    assert.equal(result.code, 0, result.output);
    const menu = JSON.parse(result.stdout) as { button: { name: string; prompt?: string }[] };
    assert.equal(menu.button.length, 2);
    assert.equal(menu.button[0]?.prompt, undefined);
    assert.equal(fixture.fake.calls.length, calls);
  });

  it('show prints "no menu" when there is none', async () => {
    const result = await fixture.run(['menu', 'show']);
    assert.equal(result.code, 0, result.output);
    assert.equal(result.stdout, 'no menu\n');
  });

  it('show prints the menu as JSON that push takes back', async () => {
    await fixture.run(['menu', 'push', 'menu.yaml']);
    const pushed = fixture.fake.state.menu?.buttons;
    const shown = await fixture.run(['menu', 'show']);
    assert.equal(shown.code, 0, shown.output);
    assert.deepEqual(JSON.parse(shown.stdout), { button: pushed });

    const copy = path.join(fixture.folder, 'shown.json');
    writeFileSync(copy, shown.stdout);
    await fixture.run(['menu', 'delete']);
    const again = await fixture.run(['menu', 'push', copy]);
    assert.equal(again.code, 0, again.output);
    assert.deepEqual(fixture.fake.state.menu?.buttons, pushed);
  });

  it('delete removes the menu', async () => {
    await fixture.run(['menu', 'push', 'menu.yaml']);
    const result = await fixture.run(['menu', 'delete']);
    assert.equal(result.code, 0, result.output);
    assert.equal(result.stdout, 'menu deleted\n');
    assert.equal(fixture.fake.state.menu, undefined);
  });

  it('a WeChat error: "errcode N: errmsg", the hint, exit code 1, no stack trace', async () => {
    fixture.fake.failNext('/cgi-bin/menu/create', 48001);
    const result = await fixture.run(['menu', 'push', 'menu.yaml']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^wx-backend menu push: errcode 48001: /m);
    assert.match(result.stderr, /^ {2}hint: the account has no permission for this API/m);
    assertNoStackTrace(result.output);

    fixture.fake.failNext('/cgi-bin/menu/get', -1, { times: 3 });
    const show = await fixture.run(['menu', 'show']);
    assert.equal(show.code, 1);
    assert.match(show.stderr, /errcode -1: .*\n {2}hint: WeChat is busy/);

    fixture.fake.failNext('/cgi-bin/menu/delete', 40001, { times: 2 });
    const remove = await fixture.run(['menu', 'delete']);
    assert.equal(remove.code, 1);
    assert.match(remove.stderr, /errcode 40001/);
  });
});
