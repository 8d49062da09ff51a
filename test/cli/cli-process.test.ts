/**
 * The real `wx-backend` process (src/cli/run.ts, as bin/wx-backend.js runs it compiled) against a fake WeChat API
 * started by the test: exit codes, what reaches stdout/stderr, and that neither the access token nor the app
 * secret is ever printed.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { childEnv, runCli } from '../support/processes.js';
import { assertNoStackTrace, startCliFixture, type CliFixture } from './cli-fixture.js';

describe('wx-backend as a process', () => {
  let fixture: CliFixture;
  let env: NodeJS.ProcessEnv;
  const run = async (args: string[]) => {
    const result = await runCli(args, fixture.folder, env);
    fixture.assertNoSecrets(result.output);
    return result;
  };
  before(async () => {
    fixture = await startCliFixture();
    env = childEnv(fixture.env());
  });
  after(() => fixture.close());

  it('--help lists the commands; exit code 0', async () => {
    const result = await run(['--help']);
    assert.equal(result.code, 0, result.output);
    for (const command of ['selfcheck', 'menu', 'users', 'tags', 'send', 'token']) assert.match(result.output, new RegExp(`^  ${command}\\b`, 'm'));
  });

  it('an unknown subcommand: exit code 2 with the usage', async () => {
    const result = await run(['token', 'rotate']);
    assert.equal(result.code, 2);
    assert.match(result.output, /unknown subcommand "rotate"[\s\S]*Usage: wx-backend token show/);
  });

  it('selfcheck with the server\'s IP not whitelisted (40164): names the IP, exit code 1', async () => {
    fixture.fake.failNext('/cgi-bin/stable_token', 40164, { errmsg: 'invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist rid: 1' });
    const result = await run(['selfcheck']);
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, /^✖ access token: WeChat refused this server's IP 203\.0\.113\.7: add 203\.0\.113\.7 to the IP whitelist/m);
    assertNoStackTrace(result.output);
  });

  it('token refresh, then token show: state and preview, never the token', async () => {
    const refresh = await run(['token', 'refresh']);
    assert.equal(refresh.code, 0, refresh.output);
    const show = await run(['token', 'show']);
    assert.equal(show.code, 0, show.output);
    assert.match(show.output, /^state: +ok$/m);
    const [token] = fixture.fake.issuedTokens;
    assert.ok(token !== undefined && token.length > 20);
    assert.ok(show.output.includes(`${token.slice(0, 6)}…`), show.output);
    assert.ok(!show.output.includes(token.slice(0, 12)), 'more of the token than its preview was printed');
  });

  it('menu push FILE sets the menu, through the token cached by the previous process', async () => {
    const menuFile = path.join(fixture.folder, 'menu.json');
    writeFileSync(menuFile, JSON.stringify({ button: [{ type: 'click', name: '帮助', key: 'HELP', reply: '回复“人工”联系客服' }] }));
    const tokenFetches = fixture.fake.callsTo('/cgi-bin/stable_token').length;
    const result = await run(['menu', 'push', 'menu.json']);
    assert.equal(result.code, 0, result.output);
    assert.deepEqual(fixture.fake.state.menu?.buttons, [{ type: 'click', name: '帮助', key: 'HELP' }]);
    assert.equal(fixture.fake.callsTo('/cgi-bin/stable_token').length, tokenFetches);
  });

  it('send refused (45015): errcode, errmsg and hint, exit code 1, no stack trace', async () => {
    fixture.fake.addUser({ openId: 'oQuiet' });
    const result = await run(['send', 'oQuiet', 'hello']);
    assert.equal(result.code, 1);
    assert.match(result.output, /^wx-backend send: errcode 45015: .*\n {2}hint: the user has not interacted with the account in the last 48 hours$/m);
    assertNoStackTrace(result.output);
  });
});
