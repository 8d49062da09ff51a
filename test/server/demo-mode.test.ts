/**
 * `npm start` with no WeChat configuration: demo mode with generated credentials, the echo service and a banner;
 * the `simulate` command talks to it the way WeChat would. Real processes, real ports.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { childEnv, runCli, spawnServer, type Spawned } from '../support/processes.js';

describe('demo mode', () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'wx-demo-'));
  const env = childEnv({ PORT: '0', HOST: '127.0.0.1' });
  let server: Spawned;
  let callbackUrl = '';

  before(async () => {
    server = spawnServer(cwd, env);
    const match = await server.waitFor(/Callback:\s+(http:\/\/\S+)/);
    callbackUrl = match[1]!;
  });
  after(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    rmSync(cwd, { recursive: true, force: true });
  });

  it('shows a banner saying it is not connected to WeChat and never prints the generated secrets', async () => {
    assert.match(server.output(), /DEMO MODE.*NOT connected to WeChat/);
    const credentialsFile = path.join(cwd, 'data', 'demo-credentials.json');
    assert.equal(statSync(credentialsFile).mode & 0o777, 0o600);
    const { readFileSync } = await import('node:fs');
    const credentials = JSON.parse(readFileSync(credentialsFile, 'utf8')) as Record<string, string>;
    for (const [name, value] of Object.entries(credentials)) {
      if (/token|key|secret/i.test(name)) assert.equal(server.output().includes(value), false, `${name} printed`);
    }
  });

  it('the banner names the web simulator, which serves its page', async () => {
    const simulatorUrl = /Simulator:\s+(http:\/\/\S+\/simulator)/.exec(server.output())?.[1];
    assert.ok(simulatorUrl, server.output());
    const response = await fetch(simulatorUrl);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /<title>微信聊天模拟器/);
  });

  for (const flags of [[], ['--encrypted'], ['--compat']]) {
    it(`simulate "你好" ${flags.join(' ')} prints the echo`, async () => {
      const result = await runCli(['simulate', '你好', '--url', callbackUrl, ...flags], cwd, env);
      assert.equal(result.code, 0, result.output);
      assert.equal(result.output.trim(), '你好');
    });
  }

  it('simulate reports a server that is not there, with a non-zero exit code', async () => {
    const result = await runCli(['simulate', 'x', '--url', 'http://127.0.0.1:9/wechat'], cwd, env);
    assert.equal(result.code, 1);
    assert.match(result.output, /cannot reach/);
  });

  it('shuts down gracefully on SIGTERM with exit code 0', async () => {
    const second = spawnServer(cwd, env);
    await second.waitFor(/Callback:/);
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0);
  });
});

describe('start-up configuration errors', () => {
  it('exit code 2 and one line per problem, naming the variable, without secret values', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'wx-badconfig-'));
    const secretToken = 'super-secret-token-value';
    const server = spawnServer(cwd, childEnv({
      WECHAT_TOKEN: secretToken,
      WECHAT_APPID: 'wx1234567890abcdef',
      WECHAT_AES_KEY: 'too-short',
      PORT: 'not-a-port',
      LOG_LEVEL: 'LOUD',
    }));
    const code = await server.exited;
    rmSync(cwd, { recursive: true, force: true });
    assert.equal(code, 2, server.output());
    const lines = server.output().trim().split('\n');
    for (const variable of ['WECHAT_AES_KEY', 'PORT', 'LOG_LEVEL']) {
      assert.ok(lines.some((line) => line.includes(variable)), `${variable} not named in:\n${server.output()}`);
    }
    assert.equal(server.output().includes(secretToken), false);
    assert.equal(server.output().includes('too-short'), false);
  });

  for (const [label, extra, variable] of [
    ['the default AI service without EXTERNAL_SERVICE_URL', {}, 'EXTERNAL_SERVICE_URL'],
    ['a custom agent module that does not exist', { EXTERNAL_SERVICE_TYPE: 'custom', CUSTOM_SERVICE_MODULE: './no-such-agent.mjs' }, 'CUSTOM_SERVICE_MODULE'],
  ] as const) {
    it(`exit code 2 for ${label}, naming ${variable}`, async () => {
      const cwd = mkdtempSync(path.join(tmpdir(), 'wx-badagent-'));
      const server = spawnServer(cwd, childEnv({ WECHAT_TOKEN: 'token123', WECHAT_APPID: 'wx1234567890abcdef', LOG_DIR: '', PORT: '0', ...extra }));
      const code = await server.exited;
      rmSync(cwd, { recursive: true, force: true });
      assert.equal(code, 2, server.output());
      assert.match(server.output(), new RegExp(`^\\s*${variable}: `, 'm'));
    });
  }
});
