/**
 * What an operator sees when the service starts: the AI service named (never its key), an unreachable Redis
 * reported as a configuration problem, and `serve --help`. Real processes, as a user runs them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { childEnv, runCli, spawnServer } from '../support/processes.js';

const account = { WECHAT_TOKEN: 'token123', WECHAT_APPID: 'wx1234567890abcdef', LOG_DIR: '', PORT: '0', HOST: '127.0.0.1' };

describe('start-up', () => {
  const folders: string[] = [];
  const folder = (): string => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'wx-startup-'));
    folders.push(cwd);
    return cwd;
  };
  after(() => {
    for (const cwd of folders) rmSync(cwd, { recursive: true, force: true });
  });

  it('names the AI service, its URL and model at INFO, never the API key or credentials in the URL', async () => {
    const apiKey = 'sk-never-printed-0123456789';
    const server = spawnServer(folder(), childEnv({
      ...account,
      EXTERNAL_SERVICE_TYPE: 'openai',
      EXTERNAL_SERVICE_URL: 'https://user:url-secret@llm.example.com/v1?key=query-secret',
      EXTERNAL_SERVICE_API_KEY: apiKey,
      EXTERNAL_SERVICE_MODEL: 'qwen-max',
    }));
    try {
      const [line] = await server.waitFor(/^.*"msg":"AI service: [^\n]*$/m);
      const entry = JSON.parse(line) as Record<string, unknown>;
      assert.equal(entry.level, 'info');
      assert.equal(entry.msg, 'AI service: openai at https://llm.example.com/v1, model qwen-max');
      assert.equal(entry.url, 'https://llm.example.com/v1');
      assert.equal(entry.model, 'qwen-max');
      await server.waitFor(/wx-backend listening/);
      for (const secret of [apiKey, 'url-secret', 'query-secret']) assert.equal(server.output().includes(secret), false, `${secret} printed`);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('a service type without a URL of its own names the default it calls', async () => {
    const server = spawnServer(folder(), childEnv({ ...account, EXTERNAL_SERVICE_TYPE: 'ollama' }));
    try {
      await server.waitFor(/"msg":"AI service: ollama at http:\/\/127\.0\.0\.1:11434, model [^"]+"/);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('REDIS_URL unreachable: exit code 2, one line naming REDIS_URL, no password, no stack trace', async () => {
    const server = spawnServer(folder(), childEnv({ ...account, EXTERNAL_SERVICE_TYPE: 'echo', REDIS_URL: 'redis://:redis-password-123@127.0.0.1:9/0' }));
    const code = await server.exited;
    const output = server.output();
    assert.equal(code, 2, output);
    assert.match(output, /^\s*REDIS_URL: cannot connect to redis:\/\/127\.0\.0\.1:9\/0 \(.*ECONNREFUSED.*\)/m);
    assert.equal(output.includes('redis-password-123'), false);
    assert.doesNotMatch(output, /\n\s+at /, 'stack trace printed');
  });

  it('serve --help prints what configures the service; an argument it does not take is a usage error', async () => {
    const cwd = folder();
    const help = await runCli(['serve', '--help'], cwd, childEnv({}));
    assert.equal(help.code, 0, help.output);
    assert.match(help.output, /^Usage: wx-backend serve/m);
    for (const variable of ['WECHAT_TOKEN', 'EXTERNAL_SERVICE_TYPE', 'REDIS_URL', 'ADMIN_TOKEN']) assert.match(help.output, new RegExp(variable));
    const wrong = await runCli(['serve', '--port', '80'], cwd, childEnv({}));
    assert.equal(wrong.code, 2);
    assert.match(wrong.output, /unexpected argument "--port"/);
  });
});
