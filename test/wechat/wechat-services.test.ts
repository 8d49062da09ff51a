// The WeChat services as the runtime and the CLI build them: the JS-SDK ticket is shared like the access token.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pino from 'pino';
import { loadConfig } from '../../src/config/load-config.js';
import { jsapiSignature } from '../../src/wechat/crypto/signature.js';
import { startFakeWeChatApi } from '../../src/demo/fake-wechat-api/start-fake-wechat-api.js';
import { createWeChatServices, type WeChatServices } from '../../src/wechat/wechat-services.js';
import { deleteKeys, requireRedis, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';

describe('WeChat services', () => {
  it('without WECHAT_APPSECRET there are none (no token, no API calls)', () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'wx-services-'));
    try {
      const config = loadConfig({ WECHAT_TOKEN: 'token123', WECHAT_APPID: 'wx0123456789abcdef', LOG_DIR: '', TOKEN_FILE_PATH: path.join(folder, 't.json') }, { cwd: folder, envFile: false });
      assert.equal(createWeChatServices(config, pino({ level: 'silent' })), undefined);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('two instances sharing Redis: one getticket and one stable_token for 60 concurrent wx.config signatures', async (t) => {
    if (!(await requireRedis(t))) return;
    const appId = `wx${randomBytes(8).toString('hex')}`;
    const appSecret = randomBytes(16).toString('hex');
    const fake = await startFakeWeChatApi({ appId, appSecret });
    const prefix = uniquePrefix('services');
    const connections = [new Redis(TEST_REDIS_URL), new Redis(TEST_REDIS_URL)];
    const services: WeChatServices[] = [];
    try {
      const config = loadConfig(
        { WECHAT_TOKEN: 'token123', WECHAT_APPID: appId, WECHAT_APPSECRET: appSecret, WECHAT_API_BASE: fake.url, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix, LOG_DIR: '' },
        { cwd: tmpdir(), envFile: false },
      );
      for (const redis of connections) services.push(createWeChatServices(config, pino({ level: 'silent' }), { redis })!);
      const url = 'https://shop.example/page?id=1#section';
      const configs = await Promise.all(Array.from({ length: 60 }, (_, index) => services[index % 2]!.jsapiConfig(url)));

      assert.equal(fake.callsTo('/cgi-bin/ticket/getticket').length, 1);
      assert.equal(fake.callsTo('/cgi-bin/stable_token').length, 1);
      const ticket = fake.state.jsapiTickets[0]!;
      for (const signed of configs) {
        assert.equal(signed.appId, appId);
        assert.equal(signed.signature, jsapiSignature({ ticket, nonceStr: signed.nonceStr, timestamp: signed.timestamp, url }));
      }
    } finally {
      await Promise.all(services.map((service) => service.close()));
      await deleteKeys(connections[0]!, prefix);
      await Promise.all(connections.map((redis) => redis.quit()));
      await fake.close();
    }
  });
});
