/**
 * Help, usage errors and set-ups the WeChat commands refuse (exit code 2), in-process; none of these reaches
 * the WeChat API.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startCliFixture, type CliFixture } from './cli-fixture.js';

const COMMANDS = ['simulate', 'selfcheck', 'menu', 'users', 'tags', 'send', 'token'];

describe('wx-backend help and usage', () => {
  let fixture: CliFixture;
  before(async () => {
    fixture = await startCliFixture();
  });
  after(() => fixture.close());

  it('--help lists every command', async () => {
    const result = await fixture.run(['--help']);
    assert.equal(result.code, 0);
    for (const command of ['serve', ...COMMANDS]) assert.match(result.stdout, new RegExp(`^  ${command}\\b`, 'm'), `${command} not listed`);
  });

  it('no command prints the usage with exit code 2; an unknown one too', async () => {
    const none = await fixture.run([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /Usage: wx-backend COMMAND/);
    const unknown = await fixture.run(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"[\s\S]*Usage: wx-backend COMMAND/);
  });

  for (const command of COMMANDS) {
    it(`${command} --help prints its usage and exits 0`, async () => {
      const result = await fixture.run([command, '--help']);
      assert.equal(result.code, 0, result.output);
      assert.match(result.stdout, new RegExp(`Usage: wx-backend ${command}`));
      assert.equal(result.stderr, '');
    });
  }

  for (const args of [['menu', 'push', '--help'], ['users', 'list', '-h'], ['tags', 'help'], ['token', 'refresh', '--help'], ['send', 'help']]) {
    it(`${args.join(' ')} prints the usage and calls nothing`, async () => {
      const result = await fixture.run(args);
      assert.equal(result.code, 0, result.output);
      assert.match(result.stdout, new RegExp(`Usage: wx-backend ${args[0]}`));
    });
  }
  it('--help calls no API', () => {
    assert.equal(fixture.fake.calls.length, 0);
  });

  for (const command of ['menu', 'users', 'tags', 'token']) {
    it(`${command} with an unknown subcommand: exit 2 with the usage`, async () => {
      const result = await fixture.run([command, 'bogus']);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /unknown subcommand "bogus"/);
      assert.match(result.stderr, new RegExp(`Usage: wx-backend ${command}`));
      assert.equal(result.stdout, '');
    });
    it(`${command} without a subcommand: exit 2 with the usage`, async () => {
      const result = await fixture.run([command]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, new RegExp(`give a subcommand[\\s\\S]*Usage: wx-backend ${command}`));
    });
  }

  const misuses: [string[], RegExp][] = [
    [['menu', 'show', '--bogus'], /Unknown option '--bogus'/],
    [['menu', 'push'], /expected the menu FILE \(none given\)/],
    [['menu', 'show', 'extra'], /expected no arguments/],
    [['users', 'get'], /expected one or more OPENIDs/],
    [['users', 'list', '--all', '--next', 'x'], /--all and --next do not go together/],
    [['tags', 'delete', 'abc'], /a tag ID is a number, got "abc"/],
    [['tags', 'tag', '100'], /expected the tag ID and one or more OPENIDs/],
    [['send', 'oUser'], /expected OPENID and TEXT/],
    [['send', 'oUser', 'x'.repeat(2049)], /TEXT is 2049 bytes; WeChat takes at most 2048/],
    [['token', 'show', '--force'], /--force goes with refresh/],
    [['selfcheck', 'now'], /expected no arguments/],
  ];
  for (const [args, message] of misuses) {
    it(`${args.join(' ').slice(0, 40)}: exit 2 and why`, async () => {
      const result = await fixture.run(args);
      assert.equal(result.code, 2, result.output);
      assert.match(result.stderr, message);
    });
  }
  it('misuse calls no API', () => {
    assert.equal(fixture.fake.calls.length, 0);
  });
});

describe('set-ups the WeChat commands refuse', () => {
  let fixture: CliFixture;
  before(async () => {
    fixture = await startCliFixture();
  });
  after(() => fixture.close());

  it('demo mode (no credentials): exit 2, saying a real account or a fake WeChat API is needed', async () => {
    const result = await fixture.run(['menu', 'show'], { env: { TOKEN_FILE_PATH: path.join(fixture.folder, 'demo', 'token.json'), LOG_DIR: '' } });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /demo mode/);
    assert.match(result.stderr, /real account/);
    assert.match(result.stderr, /WECHAT_API_BASE/);
  });

  it('no WECHAT_APPSECRET: exit 2, naming it', async () => {
    const env = fixture.env();
    delete env.WECHAT_APPSECRET;
    const result = await fixture.run(['users', 'list'], { env });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /WECHAT_APPSECRET is not set/);
  });

  it('an invalid configuration: exit 2 with one line per problem, as the server prints it', async () => {
    const result = await fixture.run(['token', 'show'], { env: fixture.env({ PORT: 'abc', WECHAT_AES_KEY: 'short' }) });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /invalid configuration \(2 problems/);
    assert.match(result.stderr, /^ {2}WECHAT_AES_KEY: /m);
    assert.match(result.stderr, /^ {2}PORT: /m);
    assert.ok(!result.output.includes('short'), 'the invalid AES key was printed');
  });

  it('reads .env from the working folder, as the server does', async () => {
    const lines = Object.entries(fixture.env()).map(([name, value]) => `${name}=${value}`);
    writeFileSync(path.join(fixture.folder, '.env'), `${lines.join('\n')}\n`);
    const result = await fixture.run(['token', 'show'], { env: {}, envFile: undefined });
    assert.equal(result.code, 0, result.output);
    assert.match(result.stdout, /^store: +file .*access_token\.json$/m);
  });

  it('none of these called the WeChat API', () => {
    assert.equal(fixture.fake.calls.length, 0);
  });
});
