/**
 * The callback endpoint end to end: the real app on a loopback port, driven the way WeChat drives it.
 * Every mode of SPEC §3 and every rejection path, with the exact status; encrypted replies are checked with an
 * independent implementation (npm `wechat-crypto`).
 */
import assert from 'node:assert/strict';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import WXBizMsgCrypt from 'wechat-crypto';
import { sha1Signature } from '../../src/wechat/crypto/signature.js';
import { parseXml } from '../../src/wechat/xml/parse-xml.js';
import { textMessageXml } from '../../src/simulator/wechat-emulator.js';
import { startTestApp, testCredentials, testEnv, type TestApp, type TestCredentials } from '../support/test-server.js';

const USER = 'oUser_callback_test_000000001';
const ACCOUNT = 'gh_callback_test';
const seconds = () => Math.floor(Date.now() / 1000);

/** A signed query for the given parts, as WeChat builds it. */
function signedQuery(credentials: TestCredentials, extra: Record<string, string> = {}, timestamp = seconds()): URLSearchParams {
  const nonce = String(100000 + Math.floor(Math.random() * 1e9));
  return new URLSearchParams({ signature: sha1Signature(credentials.token, String(timestamp), nonce), timestamp: String(timestamp), nonce, ...extra });
}

async function post(url: string, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'text/xml' }) {
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, body: await response.text() };
}

/** AES-256-CBC over an arbitrary plaintext buffer, no padding added: for building malformed ciphertexts. */
function rawEncrypt(aesKey: string, plaintext: Buffer): string {
  const key = Buffer.from(`${aesKey}=`, 'base64');
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
  return Buffer.concat([cipher.update(plaintext), cipher.final()]).toString('base64');
}

/** random16 | length | message | appid, padded with PKCS#7 to 32, then optionally tampered with. */
function framed(message: string, appId: string, tamper?: (frame: Buffer) => Buffer): Buffer {
  const body = Buffer.from(message);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const raw = Buffer.concat([randomBytes(16), length, body, Buffer.from(appId)]);
  const pad = 32 - (raw.length % 32);
  const frame = Buffer.concat([raw, Buffer.alloc(pad, pad)]);
  return tamper ? tamper(frame) : frame;
}

/** A safe-mode POST carrying `encrypted` with a VALID msg_signature over it, so that only the payload is wrong. */
async function postEncrypted(server: TestApp, credentials: TestCredentials, encrypted: string) {
  const timestamp = String(seconds());
  const query = signedQuery(credentials, {}, Number(timestamp));
  query.set('encrypt_type', 'aes');
  query.set('msg_signature', sha1Signature(credentials.token, timestamp, query.get('nonce')!, encrypted));
  return post(`${server.callbackUrl}?${query}`, `<xml><ToUserName><![CDATA[${ACCOUNT}]]></ToUserName><Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>`);
}

function field(xml: string, name: string): string | undefined {
  const value = parseXml(xml).fields[name];
  return typeof value === 'string' ? value : undefined;
}

describe('wechat callback', () => {
  const credentials = testCredentials();
  let strict: TestApp; // AES configured, plaintext refused
  let mixed: TestApp; // AES configured, plaintext allowed
  let plain: TestApp; // no AES key
  const independent = new WXBizMsgCrypt(credentials.token, credentials.aesKey, credentials.appId);

  before(async () => {
    strict = await startTestApp(testEnv(credentials));
    mixed = await startTestApp(testEnv(credentials, { WECHAT_ALLOW_PLAINTEXT: 'true' }));
    plain = await startTestApp(testEnv(credentials, { WECHAT_AES_KEY: '' }));
  });
  after(async () => {
    await Promise.all([strict?.close(), mixed?.close(), plain?.close()]);
  });

  const message = (content: string) => textMessageXml({ from: USER, to: ACCOUNT, content });

  it('keeps idle keep-alive connections 72 s (WeChat and reverse proxies reuse them), not Node\'s 5 s', () => {
    assert.equal(strict.app.server.keepAliveTimeout, 72_000);
    assert.ok(strict.app.server.headersTimeout > strict.app.server.keepAliveTimeout);
  });

  describe('GET verification', () => {
    it('echoes echostr for a valid signature', async () => {
      const query = signedQuery(credentials, { echostr: '5927782489442352469' });
      const response = await fetch(`${strict.callbackUrl}?${query}`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
      assert.equal(await response.text(), '5927782489442352469');
    });

    const cases: Array<[string, (query: URLSearchParams) => void, number]> = [
      ['wrong signature', (query) => query.set('signature', sha1Signature('not-the-token', query.get('timestamp')!, query.get('nonce')!)), 403],
      ['missing signature', (query) => query.delete('signature'), 403],
      ['missing timestamp', (query) => query.delete('timestamp'), 403],
      ['missing nonce', (query) => query.delete('nonce'), 403],
      ['missing echostr', (query) => query.delete('echostr'), 400],
    ];
    for (const [name, change, status] of cases) {
      it(`${name} → ${status}`, async () => {
        const query = signedQuery(credentials, { echostr: 'abc' });
        change(query);
        const response = await fetch(`${strict.callbackUrl}?${query}`);
        assert.equal(response.status, status);
        assert.notEqual(await response.text(), 'abc');
      });
    }

    it('stale timestamp (valid signature) → 403', async () => {
      const query = signedQuery(credentials, { echostr: 'abc' }, seconds() - 301);
      assert.equal((await fetch(`${strict.callbackUrl}?${query}`)).status, 403);
    });
  });

  describe('modes', () => {
    it('plaintext: passive text reply addressed back to the user', async () => {
      const answer = await plain.emulator.deliver(plain.emulator.sign(message('你好 <plain> & "mode"'), 'plain'));
      assert.equal(answer.status, 200);
      assert.deepEqual(
        { to: answer.reply?.ToUserName, from: answer.reply?.FromUserName, type: answer.reply?.MsgType, content: answer.reply?.Content },
        { to: USER, from: ACCOUNT, type: 'text', content: '你好 <plain> & "mode"' },
      );
      assert.match(String(answer.reply?.CreateTime), /^\d{10}$/);
    });

    for (const mode of ['compat', 'safe'] as const) {
      it(`${mode} mode: reply is encrypted, verifies and decrypts with an independent implementation`, async () => {
        const content = `加密 ${mode} ]]> 回复 ${'长'.repeat(300)}`;
        const delivery = strict.emulator.sign(message(content), mode);
        const response = await post(delivery.url, delivery.body);
        assert.equal(response.status, 200);
        const encrypted = field(response.body, 'Encrypt')!;
        const timestamp = field(response.body, 'TimeStamp')!;
        const nonce = field(response.body, 'Nonce')!;
        assert.ok(encrypted && timestamp && nonce, response.body);
        assert.equal(field(response.body, 'MsgSignature'), independent.getSignature(timestamp, nonce, encrypted));
        assert.ok(Math.abs(Number(timestamp) - seconds()) <= 5, 'TimeStamp is in seconds');
        const decrypted = independent.decrypt(encrypted);
        assert.equal(decrypted.id, credentials.appId);
        assert.equal(field(decrypted.message, 'Content'), content);
        assert.equal(field(decrypted.message, 'ToUserName'), USER);
        // A fresh nonce, not the request's.
        assert.notEqual(nonce, new URL(delivery.url).searchParams.get('nonce'));
      });
    }

    it('safe-mode message encrypted by an independent implementation is accepted', async () => {
      const encrypted = independent.encrypt(message('from wechat-crypto'));
      const response = await postEncrypted(strict, credentials, encrypted);
      assert.equal(response.status, 200);
      assert.equal(field(independent.decrypt(field(response.body, 'Encrypt')!).message, 'Content'), 'from wechat-crypto');
    });

    it('plaintext is refused when WECHAT_AES_KEY is set → 403, accepted with WECHAT_ALLOW_PLAINTEXT', async () => {
      const delivery = strict.emulator.sign(message('plain while strict'), 'plain');
      assert.equal((await post(delivery.url, delivery.body)).status, 403);
      const allowed = await mixed.emulator.deliver(mixed.emulator.sign(message('plain while mixed'), 'plain'));
      assert.equal(allowed.status, 200);
      assert.equal(allowed.reply?.Content, 'plain while mixed');
    });

    it('an event with no reply answers success', async () => {
      const delivery = strict.emulator.sign(`<xml><ToUserName><![CDATA[${ACCOUNT}]]></ToUserName><FromUserName><![CDATA[${USER}]]></FromUserName><CreateTime>${seconds()}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[VIEW]]></Event><EventKey><![CDATA[https://example.com]]></EventKey></xml>`, 'safe');
      const response = await post(delivery.url, delivery.body);
      assert.deepEqual(response, { status: 200, body: 'success' });
    });
  });

  describe('rejections', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><ToUserName>&xxe;</ToUserName><FromUserName>${USER}</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>`;
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><xml><Content>&lol3;</Content></xml>`;

    it('wrong signature → 403', async () => {
      const delivery = plain.emulator.sign(message('x'), 'plain');
      const url = new URL(delivery.url);
      url.searchParams.set('signature', 'f'.repeat(40));
      assert.equal((await post(url.href, delivery.body)).status, 403);
    });

    for (const missing of ['signature', 'timestamp', 'nonce']) {
      it(`missing ${missing} → 403`, async () => {
        const delivery = plain.emulator.sign(message('x'), 'plain');
        const url = new URL(delivery.url);
        url.searchParams.delete(missing);
        assert.equal((await post(url.href, delivery.body)).status, 403);
      });
    }

    it('wrong msg_signature → 403, missing msg_signature → 403', async () => {
      const delivery = strict.emulator.sign(message('x'), 'safe');
      const url = new URL(delivery.url);
      url.searchParams.set('msg_signature', sha1Signature('other'));
      assert.equal((await post(url.href, delivery.body)).status, 403);
      url.searchParams.delete('msg_signature');
      assert.equal((await post(url.href, delivery.body)).status, 403);
    });

    for (const [name, offset] of [['stale', -301], ['future', 301]] as const) {
      it(`${name} timestamp with a valid signature → 403`, async () => {
        const delivery = strict.emulator.sign(message('x'), 'safe', { timestamp: seconds() + offset });
        assert.equal((await post(delivery.url, delivery.body)).status, 403);
      });
    }

    it('XXE payload → 400 (plaintext and inside the ciphertext)', async () => {
      const plainDelivery = plain.emulator.sign(xxe, 'plain');
      assert.equal((await post(plainDelivery.url, plainDelivery.body)).status, 400);
      assert.equal((await postEncrypted(strict, credentials, independent.encrypt(xxe))).status, 400);
    });

    it('entity expansion (billion laughs) → 400', async () => {
      const delivery = plain.emulator.sign(laughs, 'plain');
      assert.equal((await post(delivery.url, delivery.body)).status, 400);
      assert.equal((await postEncrypted(strict, credentials, independent.encrypt(laughs))).status, 400);
    });

    for (const [name, body] of [
      ['malformed XML', '<xml><ToUserName>a</FromUserName></xml>'],
      ['unclosed XML', '<xml><ToUserName><![CDATA[a]]>'],
      ['not XML', 'hello'],
      ['a message without MsgType', `<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName></xml>`],
    ] as const) {
      it(`${name} → 400`, async () => {
        const delivery = plain.emulator.sign(body, 'plain');
        assert.equal((await post(delivery.url, delivery.body)).status, 400);
      });
    }

    it('empty body → 400', async () => {
      const delivery = plain.emulator.sign(message('x'), 'plain');
      assert.equal((await post(delivery.url, '')).status, 400);
      assert.equal((await post(delivery.url, '', {})).status, 400);
    });

    it('safe mode without Encrypt → 400', async () => {
      const delivery = strict.emulator.sign(message('x'), 'safe');
      assert.equal((await post(delivery.url, `<xml><ToUserName>${ACCOUNT}</ToUserName></xml>`)).status, 400);
    });

    it('bad base64 → 400', async () => {
      const good = independent.encrypt(message('x'));
      for (const bad of [`${good.slice(0, 20)} ${good.slice(21)}`, good.replace(/[+/]/, '-'), `${good.slice(0, -4)}=A==`, good.slice(0, -1)]) {
        assert.equal((await postEncrypted(strict, credentials, bad)).status, 400, bad);
      }
    });

    it('bad padding → 400', async () => {
      const badLastByte = framed(message('x'), credentials.appId, (frame) => { frame[frame.length - 1] = 0; return frame; });
      const inconsistent = framed(message('x'), credentials.appId, (frame) => {
        const pad = frame[frame.length - 1]!;
        if (pad > 1) frame[frame.length - pad] = pad + 1; // only the first pad byte is wrong
        else { frame[frame.length - 1] = 2; } // pad 1 → claims 2, the byte before is message data
        return frame;
      });
      const tooBig = framed(message('x'), credentials.appId, (frame) => { frame[frame.length - 1] = 33; return frame; });
      for (const frame of [badLastByte, inconsistent, tooBig]) {
        assert.equal((await postEncrypted(strict, credentials, rawEncrypt(credentials.aesKey, frame))).status, 400);
      }
    });

    it('truncated ciphertext → 400', async () => {
      const good = Buffer.from(independent.encrypt(message('truncate me')), 'base64');
      for (const length of [16, good.length - 16, good.length - 32]) {
        assert.equal((await postEncrypted(strict, credentials, good.subarray(0, length).toString('base64'))).status, 400, `length ${length}`);
      }
    });

    it('length field past the end → 400', async () => {
      const frame = framed(message('x'), credentials.appId, (buffer) => { buffer.writeUInt32BE(buffer.length, 16); return buffer; });
      assert.equal((await postEncrypted(strict, credentials, rawEncrypt(credentials.aesKey, frame))).status, 400);
    });

    it('wrong appid → 400', async () => {
      const other = new WXBizMsgCrypt(credentials.token, credentials.aesKey, 'wx0000000000000000');
      assert.equal((await postEncrypted(strict, credentials, other.encrypt(message('x')))).status, 400);
    });

    it('oversized body → 413', async () => {
      const delivery = plain.emulator.sign(message('x'.repeat(1024 * 1024 + 10)), 'plain');
      assert.equal((await post(delivery.url, delivery.body)).status, 413);
    });

    it('odd content types and repeated query parameters are handled, never 5xx', async () => {
      const delivery = plain.emulator.sign(message('json?'), 'plain');
      const asJson = await post(delivery.url, delivery.body, { 'content-type': 'application/json' });
      assert.equal(asJson.status, 200);
      const doubled = `${delivery.url}&signature=${'0'.repeat(40)}`;
      assert.equal((await post(doubled, delivery.body)).status, 403);
    });

    it('the server stays healthy and keeps answering after all of that', async () => {
      for (const server of [strict, mixed, plain]) {
        const health = await fetch(`${server.url}/healthz`);
        assert.deepEqual(await health.json(), { status: 'ok' });
      }
      const answer = await strict.emulator.deliver(strict.emulator.sign(message('still here'), 'safe'));
      assert.equal(answer.reply?.Content, 'still here');
      assert.equal(answer.signatureValid, true);
    });

    it('rejections never reach the handler and logs carry no secrets', async () => {
      const logs = strict.logs() + mixed.logs() + plain.logs();
      assert.match(logs, /wechat callback rejected/);
      const decodedKey = Buffer.from(`${credentials.aesKey}=`, 'base64');
      for (const secret of [credentials.token, credentials.aesKey, decodedKey.toString('hex'), decodedKey.toString('base64')]) {
        assert.equal(logs.includes(secret), false, 'a secret appeared in the logs');
      }
      assert.equal(createHash('sha1').update(logs).digest('hex').length, 40); // logs were read
    });
  });
});
