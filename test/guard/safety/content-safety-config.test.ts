/**
 * The content-safety variables as loadConfig reads them, and what an operator sees when CONTENT_FILTER_FILE
 * cannot be used at start-up: exit code 2 and a line naming the variable (a real process, as `npm start`).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { secretValues } from '../../../src/config/app-config.js';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { temporaryFolder } from '../../support/app-instances.js';
import { childEnv, spawnServer } from '../../support/processes.js';

const ACCOUNT = { WECHAT_TOKEN: 'realtoken123', WECHAT_APPID: 'wx1234567890abcdef' };

describe('content safety configuration', () => {
  const folder = temporaryFolder('safety-config');
  after(() => folder.remove());
  writeFileSync(path.join(folder.path, 'filter.yaml'), 'outgoing:\n  block: [坏词]\n');
  writeFileSync(path.join(folder.path, 'broken.yaml'), 'outgoing:\n  block: ["/(/"]\n  maks: [x]\n');
  const load = (env: Record<string, string>) => loadConfig({ ...ACCOUNT, ...env }, { cwd: folder.path, envFile: false });
  const problems = (env: Record<string, string>): string[] => {
    try {
      load(env);
      return [];
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
  };

  it('is off by default, with the default blocked message', () => {
    assert.deepEqual(load({}).contentSafety, { blockedMessage: '抱歉，这个问题我无法回答。' });
  });

  it('reads the filter file (relative to the working directory) and the moderation settings', () => {
    const { contentSafety } = load({
      CONTENT_FILTER_FILE: 'filter.yaml',
      CONTENT_BLOCKED_MESSAGE: '不能回答',
      MODERATION_URL: 'https://moderation.example/v1/',
      MODERATION_API_KEY: 'mod-secret-key',
      MODERATION_MODEL: 'omni-moderation-latest',
      MODERATION_TIMEOUT: '2.5',
      MODERATION_ON_ERROR: 'BLOCK',
    });
    assert.equal(contentSafety.filter?.file, path.join(folder.path, 'filter.yaml'));
    assert.equal(contentSafety.filter?.rules.outgoing.screen('坏词').action, 'block');
    assert.equal(contentSafety.blockedMessage, '不能回答');
    assert.deepEqual(contentSafety.moderation, { url: 'https://moderation.example/v1', apiKey: 'mod-secret-key', model: 'omni-moderation-latest', timeoutSeconds: 2.5, onError: 'block' });
    assert.equal(load({ MODERATION_URL: 'https://moderation.example/v1' }).contentSafety.moderation?.onError, 'allow', 'allow by default');
  });

  it('treats MODERATION_API_KEY as a secret', () => {
    const config = load({ MODERATION_URL: 'https://moderation.example/v1', MODERATION_API_KEY: 'mod-secret-key' });
    assert.ok(secretValues(config).includes('mod-secret-key'));
  });

  it('reports a missing or broken filter file naming CONTENT_FILTER_FILE, and bad moderation settings', () => {
    const missing = path.join(folder.path, 'missing.yaml');
    assert.deepEqual(problems({ CONTENT_FILTER_FILE: 'missing.yaml' }), [`CONTENT_FILTER_FILE: ${missing}: cannot read the file (ENOENT)`]);
    const broken = path.join(folder.path, 'broken.yaml');
    assert.deepEqual(problems({ CONTENT_FILTER_FILE: 'broken.yaml' }), [
      `CONTENT_FILTER_FILE: ${broken}: outgoing.maks: unknown list (expected block or mask)`,
      `CONTENT_FILTER_FILE: ${broken}: outgoing.block[0]: not a valid regular expression (Unterminated group)`,
    ]);
    assert.deepEqual(problems({ MODERATION_URL: 'moderation.example', MODERATION_TIMEOUT: '0', MODERATION_ON_ERROR: 'maybe' }), [
      'MODERATION_URL: expected an http:// or https:// URL, got "moderation.example"',
      'MODERATION_TIMEOUT: expected a positive number, got "0"',
      'MODERATION_ON_ERROR: expected one of allow, block, got "maybe"',
    ]);
  });

  it('start-up with a missing CONTENT_FILTER_FILE: exit code 2, one line naming the variable', async () => {
    const server = spawnServer(folder.path, childEnv({ ...ACCOUNT, LOG_DIR: '', PORT: '0', HOST: '127.0.0.1', EXTERNAL_SERVICE_TYPE: 'echo', CONTENT_FILTER_FILE: './nowhere.yaml' }));
    const code = await server.exited;
    assert.equal(code, 2, server.output());
    assert.match(server.output(), /^\s*CONTENT_FILTER_FILE: .*nowhere\.yaml: cannot read the file \(ENOENT\)$/m);
  });
});
