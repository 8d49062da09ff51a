/**
 * Issue 3 in demo mode: no WeChat credentials configured, only ADMIN_TOKEN. The service generates its
 * credentials (in the working directory's data folder, here a temporary one) and runs the fake WeChat API
 * in-process, so the operator API works end to end — publish and read a menu, see the token's state — and
 * /readyz reports the access token ok.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEMO_CREDENTIALS_FILE_NAME } from '../../src/config/demo-credentials.js';
import { readinessCheck, SAMPLE_MENU, startAppInstance, temporaryFolder, type AppInstance } from '../support/app-instances.js';

const ADMIN_TOKEN = 'demo-admin-token-0123456789abcdef';

describe('demo mode: the operator API against the in-process fake WeChat API', () => {
  const folder = temporaryFolder('demo-admin');
  let instance: AppInstance;

  before(async () => {
    instance = await startAppInstance(
      { ADMIN_TOKEN, HOST: '127.0.0.1', PORT: '0', LOG_DIR: '', LOG_LEVEL: 'debug' },
      { cwd: folder.path },
    );
  });
  after(async () => {
    await instance?.close();
    folder.remove();
  });

  it('starts in demo mode with its credentials in the temporary folder, not the repository', () => {
    assert.equal(instance.server.config.demo, true);
    assert.equal(instance.server.config.adminToken, ADMIN_TOKEN);
    assert.ok(existsSync(path.join(folder.path, 'data', DEMO_CREDENTIALS_FILE_NAME)));
  });

  it('before any call: token state empty, /readyz ok (fetched on first use)', async () => {
    assert.equal((await instance.admin('GET', '/token')).json?.state, 'empty');
    const ready = await instance.request('GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.equal(readinessCheck(ready, 'access-token').status, 'ok');
  });

  it('PUT then GET /admin/api/menu round-trips through the fake WeChat API', async () => {
    const published = await instance.admin('PUT', '/menu', SAMPLE_MENU);
    assert.equal(published.status, 200, published.text);
    assert.equal(published.json?.ok, true);
    assert.deepEqual(published.json?.actions, { HOURS: { reply: 'Open 9–18' } });

    const current = await instance.admin('GET', '/menu');
    assert.equal(current.status, 200, current.text);
    const menu = current.json?.menu as { buttons?: unknown[] } | undefined;
    assert.deepEqual(menu?.buttons, [
      { type: 'click', name: 'Hours', key: 'HOURS' },
      { type: 'view', name: 'Site', url: 'https://example.com/' },
    ]);
    assert.deepEqual(current.json?.actions, { HOURS: { reply: 'Open 9–18' } });
  });

  it('after a call: GET /admin/api/token shows state ok (never the token), /readyz shows the access token ok', async () => {
    const status = await instance.admin('GET', '/token');
    assert.equal(status.status, 200);
    assert.equal(status.json?.state, 'ok');
    assert.equal(status.json?.refreshCount, 1);
    assert.ok(Number(status.json?.expiresInSeconds) > 3600);
    assert.equal('token' in (status.json ?? {}) || 'tokenPreview' in (status.json ?? {}), false);

    const ready = await instance.request('GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.json?.status, 'ok');
    const check = readinessCheck(ready, 'access-token');
    assert.equal(check.status, 'ok');
    assert.match(String(check.detail), /valid until/);
  });

  it('DELETE /admin/api/menu clears it: GET then answers 404 no_menu', async () => {
    assert.equal((await instance.admin('DELETE', '/menu')).status, 200);
    const none = await instance.admin('GET', '/menu');
    assert.equal(none.status, 404);
    assert.equal(none.json?.error, 'no_menu');
  });

  it('the operator API still requires the bearer token in demo mode', async () => {
    assert.equal((await instance.request('GET', '/admin/api/token')).status, 401);
  });
});
