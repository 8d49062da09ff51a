import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import WXBizMsgCrypt from 'wechat-crypto';
import { WeChatCryptoError, type WeChatCryptoErrorCode } from '../../src/wechat/crypto/crypto-error.js';
import { isValidAesKey, MessageCrypto } from '../../src/wechat/crypto/message-crypto.js';
import { jsapiSignature, sha1Signature, signaturesEqual } from '../../src/wechat/crypto/signature.js';

// ---------------------------------------------------------------------------------------------------------
// Public test vectors (test/fixtures, copied from the published sources named in the file)

interface CryptoVector {
  id: string;
  kind: string;
  token?: string;
  encodingAESKey?: string;
  appid?: string;
  timestamp?: string;
  nonce?: string;
  msg_signature?: string;
  signature?: string;
  encrypt?: string;
  random?: string;
  plaintext?: string;
  expected_plaintext?: string | null;
  derived_plaintext?: string;
  expected_fields?: Record<string, string>;
  decrypted?: { random_hex: string; pad_byte: number; ciphertext_bytes: number };
  negative?: { nonce?: string; signature?: string };
  parts?: string[];
  jsapi_ticket?: string;
  noncestr?: string;
  url?: string;
}

const fixturePath = path.resolve(import.meta.dirname, '../fixtures/wechat-crypto-vectors.json');
const vectors: CryptoVector[] = existsSync(fixturePath)
  ? (JSON.parse(readFileSync(fixturePath, 'utf8')) as { vectors: CryptoVector[] }).vectors
  : [];

function field<K extends keyof CryptoVector>(vector: CryptoVector, name: K): NonNullable<CryptoVector[K]> {
  const value = vector[name];
  assert.ok(value !== undefined && value !== null, `vector ${vector.id} lacks ${String(name)}`);
  return value as NonNullable<CryptoVector[K]>;
}

function cryptoFor(vector: CryptoVector): MessageCrypto {
  return new MessageCrypto({
    token: field(vector, 'token'),
    aesKey: field(vector, 'encodingAESKey'),
    appId: field(vector, 'appid'),
  });
}

function checkDecryptVector(vector: CryptoVector): void {
  const messageCrypto = cryptoFor(vector);
  const encrypted = field(vector, 'encrypt');
  const timestamp = field(vector, 'timestamp');
  const nonce = field(vector, 'nonce');
  assert.equal(messageCrypto.msgSignature(timestamp, nonce, encrypted), vector.msg_signature);
  assert.ok(messageCrypto.verifyMsgSignature(field(vector, 'msg_signature'), timestamp, nonce, encrypted));

  const message = messageCrypto.decrypt(encrypted);
  const expected = vector.expected_plaintext ?? vector.derived_plaintext;
  if (expected !== undefined) assert.equal(message, expected);
  for (const [name, value] of Object.entries(vector.expected_fields ?? {})) {
    assert.ok(
      message.includes(`<${name}><![CDATA[${value}]]></${name}>`) || message.includes(`<${name}>${value}</${name}>`),
      `${name} = ${value} in ${message}`,
    );
  }
  // Re-encrypting with the vector's random prefix must give back the exact ciphertext: this pins the
  // header layout and the padding, not only the decryption.
  if (vector.decrypted !== undefined) {
    assert.equal(messageCrypto.encrypt(message, Buffer.from(vector.decrypted.random_hex, 'hex')), encrypted);
    assert.equal(Buffer.from(encrypted, 'base64').length, vector.decrypted.ciphertext_bytes);
  }
  if (vector.negative?.nonce !== undefined) {
    assert.equal(messageCrypto.verifyMsgSignature(vector.msg_signature, timestamp, vector.negative.nonce, encrypted), false);
  }
}

function checkKnownRandomEncryptVector(vector: CryptoVector): void {
  const messageCrypto = cryptoFor(vector);
  const plaintext = field(vector, 'plaintext');
  const encrypted = field(vector, 'encrypt');
  assert.equal(messageCrypto.encrypt(plaintext, Buffer.from(field(vector, 'random'), 'utf8')), encrypted);
  assert.equal(messageCrypto.decrypt(encrypted), plaintext);
  if (vector.msg_signature !== undefined) {
    assert.equal(messageCrypto.msgSignature(field(vector, 'timestamp'), field(vector, 'nonce'), encrypted), vector.msg_signature);
  }
}

function checkSignatureVector(vector: CryptoVector): void {
  const expected = sha1Signature(field(vector, 'token'), field(vector, 'timestamp'), field(vector, 'nonce'));
  assert.equal(expected, vector.signature);
  assert.ok(signaturesEqual(expected, vector.signature));
  if (vector.negative?.signature !== undefined) assert.equal(signaturesEqual(expected, vector.negative.signature), false);
}

function checkMsgSignatureVector(vector: CryptoVector): void {
  const parts = [field(vector, 'token'), field(vector, 'timestamp'), field(vector, 'nonce'), field(vector, 'encrypt')] as const;
  assert.equal(sha1Signature(...parts), vector.signature);
  // Same through the class (the AES key plays no part in the signature).
  const messageCrypto = new MessageCrypto({ token: parts[0], aesKey: 'a'.repeat(43), appId: 'wx0' });
  assert.equal(messageCrypto.msgSignature(parts[1], parts[2], parts[3]), vector.signature);
}

function checkJsapiVector(vector: CryptoVector): void {
  const input = {
    ticket: field(vector, 'jsapi_ticket'),
    nonceStr: field(vector, 'noncestr'),
    timestamp: field(vector, 'timestamp'),
    url: field(vector, 'url'),
  };
  assert.equal(jsapiSignature(input), vector.signature);
  assert.equal(jsapiSignature({ ...input, timestamp: Number(input.timestamp) }), vector.signature);
  assert.equal(jsapiSignature({ ...input, url: `${input.url}#/some/route` }), vector.signature);
}

// Kinds are matched by prefix: the fixture annotates some (e.g. "decrypt+msg_signature (echostr URL …)").
const checksByKind: [prefix: string, check: (vector: CryptoVector) => void][] = [
  ['decrypt+msg_signature', checkDecryptVector],
  ['encrypt(known random)+', checkKnownRandomEncryptVector],
  ['signature(token,timestamp,nonce)', checkSignatureVector],
  ['msg_signature(token,timestamp,nonce,encrypt)', checkMsgSignatureVector],
  ['sorted-concat sha1', (vector) => assert.equal(sha1Signature(...field(vector, 'parts')), vector.signature)],
  ['jsapi signature', checkJsapiVector],
];

void describe('public test vectors', () => {
  void it('the fixture file exists and holds all 15 vectors', () => {
    assert.ok(existsSync(fixturePath), `missing fixture ${fixturePath} (expected /work/shared/fixtures beside the repo)`);
    assert.equal(vectors.length, 15);
  });

  for (const vector of vectors) {
    void it(`${vector.id} [${vector.kind}]`, () => {
      const entry = checksByKind.find(([prefix]) => vector.kind.startsWith(prefix));
      assert.ok(entry, `no check for vector kind "${vector.kind}"`);
      entry[1](vector);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------
// Cross-checks with an independent implementation (npm wechat-crypto, typed by test/support/wechat-crypto.d.ts)

const TOKEN = 'SecretTokenValue9';
const AES_KEY = 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR';
const APP_ID = 'wx49f0ab532d5d035a';
const KEY_BYTES = Buffer.from(`${AES_KEY}=`, 'base64');
const SAMPLE_MESSAGE =
  '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oUser_abcdefghijklmnopqrstuv]]>' +
  '</FromUserName><CreateTime>1714037059</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好，' +
  '请问今天的天气怎么样？]]></Content><MsgId>24567890123456789012</MsgId></xml>';

const subject = new MessageCrypto({ token: TOKEN, aesKey: AES_KEY, appId: APP_ID });
const reference = new WXBizMsgCrypt(TOKEN, AES_KEY, APP_ID);

void describe('cross-check with npm wechat-crypto', () => {
  void it('our encrypt → its decrypt', () => {
    for (const message of [SAMPLE_MESSAGE, '', 'x', 'a'.repeat(1000), '多字节 ✓ 😀']) {
      assert.deepEqual(reference.decrypt(subject.encrypt(message)), { message, id: APP_ID });
    }
  });

  void it('its encrypt → our decrypt', () => {
    for (const message of [SAMPLE_MESSAGE, 'x', 'b'.repeat(777), '多字节 ✓ 😀']) {
      assert.equal(subject.decrypt(reference.encrypt(message)), message);
    }
  });

  void it('one long-lived cipher: many interleaved messages each match a fresh cipher exactly, both ways', () => {
    // MessageCrypto reuses one cipher and one decipher; every message must still start from the IV.
    const fresh = new MessageCrypto({ token: TOKEN, aesKey: AES_KEY, appId: APP_ID });
    for (let round = 0; round < 200; round++) {
      const message = `${'消息'.repeat(round % 37)}${'x'.repeat((round * 7) % 61)}`;
      const random = crypto.randomBytes(16);
      const encrypted = subject.encrypt(message, random);
      const plaintext = rawDecrypt(encrypted);
      assert.deepEqual(plaintext.subarray(0, 16), random, `round ${round}: first block`);
      assert.equal(reference.decrypt(encrypted).message, message);
      if (round % 3 === 0) assert.equal(fresh.encrypt(message, random), encrypted);
      const theirs = reference.encrypt(message);
      assert.equal(subject.decrypt(theirs), message);
      // A rejected ciphertext in between leaves nothing behind for the next message.
      if (round % 5 === 0) assert.throws(() => subject.decrypt(rawEncrypt(buildPlaintext({ appId: 'wx-other' })).toString('base64')), WeChatCryptoError);
    }
  });

  void it('its getSignature = our msgSignature', () => {
    const encrypted = subject.encrypt(SAMPLE_MESSAGE);
    const signature = reference.getSignature('1714037059', '486452656', encrypted);
    assert.equal(subject.msgSignature('1714037059', '486452656', encrypted), signature);
    assert.ok(subject.verifyMsgSignature(signature, '1714037059', '486452656', encrypted));
  });
});

// ---------------------------------------------------------------------------------------------------------
// Tampering: every check, reached by encrypting hand-built plaintexts with the raw cipher

interface PlaintextParts {
  random?: Buffer;
  message?: string;
  appId?: string;
  /** Overrides the uint32 length field. */
  lengthField?: number;
  /** Overrides the padding bytes entirely (the total must stay a multiple of 32). */
  padding?: Buffer;
}

function buildPlaintext(parts: PlaintextParts = {}): Buffer {
  const message = Buffer.from(parts.message ?? 'hello', 'utf8');
  const lengthField = Buffer.alloc(4);
  lengthField.writeUInt32BE(parts.lengthField ?? message.length);
  const body = Buffer.concat([parts.random ?? Buffer.alloc(16, 7), lengthField, message, Buffer.from(parts.appId ?? APP_ID)]);
  const padLength = 32 - (body.length % 32);
  return Buffer.concat([body, parts.padding ?? Buffer.alloc(padLength, padLength)]);
}

function rawEncrypt(plaintext: Buffer): Buffer {
  const cipher = crypto.createCipheriv('aes-256-cbc', KEY_BYTES, KEY_BYTES.subarray(0, 16)).setAutoPadding(false);
  return Buffer.concat([cipher.update(plaintext), cipher.final()]);
}

function rawDecrypt(encrypted: string): Buffer {
  const decipher = crypto.createDecipheriv('aes-256-cbc', KEY_BYTES, KEY_BYTES.subarray(0, 16)).setAutoPadding(false);
  return Buffer.concat([decipher.update(encrypted, 'base64'), decipher.final()]);
}

function assertCryptoError(action: () => unknown, code: WeChatCryptoErrorCode): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof WeChatCryptoError, `expected WeChatCryptoError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

/** The pad length, read from the last byte (the default plaintext: 16 + 4 + 5 + 18 = 43 → 21 pad bytes). */
function paddingLengthOf(plaintext: Buffer): number {
  return plaintext[plaintext.length - 1] ?? 0;
}

void describe('decrypt rejects tampering', () => {
  void it('accepts the untampered baseline', () => {
    assert.equal(subject.decrypt(rawEncrypt(buildPlaintext()).toString('base64')), 'hello');
  });

  void it('padding: every pad byte is checked', () => {
    const plaintext = buildPlaintext();
    const padLength = paddingLengthOf(plaintext);
    assert.ok(padLength > 2);
    const padStart = plaintext.length - padLength;
    for (let index = padStart; index < plaintext.length - 1; index++) {
      const tampered = Buffer.from(plaintext);
      tampered[index] = padLength ^ 1;
      assertCryptoError(() => subject.decrypt(rawEncrypt(tampered).toString('base64')), 'invalid-padding');
    }
    // A run where only the last byte is right.
    const onlyLastRight = Buffer.from(plaintext);
    onlyLastRight.fill(0, padStart, plaintext.length - 1);
    assertCryptoError(() => subject.decrypt(rawEncrypt(onlyLastRight).toString('base64')), 'invalid-padding');
  });

  void it('padding: 0 and 33 are out of range', () => {
    for (const last of [0, 33, 255]) {
      const tampered = buildPlaintext();
      tampered[tampered.length - 1] = last;
      assertCryptoError(() => subject.decrypt(rawEncrypt(tampered).toString('base64')), 'invalid-padding');
    }
  });

  void it('padding: a full 32-byte pad block is valid, and encrypt produces one when aligned', () => {
    // 16 + 4 + 26 + 18 = 64: already aligned, so a whole block of 32s follows.
    const message = 'm'.repeat(26);
    const plaintext = rawDecrypt(subject.encrypt(message));
    assert.equal(plaintext.length, 96);
    assert.deepEqual(plaintext.subarray(64), Buffer.alloc(32, 32));
    assert.equal(subject.decrypt(subject.encrypt(message)), message);
    // A block that is all padding with nothing before it has no room for a header.
    assertCryptoError(() => subject.decrypt(rawEncrypt(Buffer.alloc(32, 32)).toString('base64')), 'invalid-length-field');
  });

  void it('length field: beyond the data is rejected; off by a little moves the appid', () => {
    const plaintext = buildPlaintext();
    const end = plaintext.length - paddingLengthOf(plaintext);
    for (const lengthField of [end - 20 + 1, 0x7fffffff, 0xffffffff]) {
      assertCryptoError(() => subject.decrypt(rawEncrypt(buildPlaintext({ lengthField })).toString('base64')), 'invalid-length-field');
    }
    for (const lengthField of [0, 4, 6, end - 20]) {
      assertCryptoError(() => subject.decrypt(rawEncrypt(buildPlaintext({ lengthField })).toString('base64')), 'appid-mismatch');
    }
  });

  void it('appid: another one, a prefix, a suffix, a different case', () => {
    for (const appId of ['wx0000000000000000', APP_ID.slice(0, -1), `${APP_ID}x`, `x${APP_ID}`, APP_ID.slice(1), APP_ID.toUpperCase(), '']) {
      assertCryptoError(() => subject.decrypt(rawEncrypt(buildPlaintext({ appId })).toString('base64')), 'appid-mismatch');
    }
    const otherApp = new MessageCrypto({ token: TOKEN, aesKey: AES_KEY, appId: 'wx49f0ab532d5d035b' });
    assertCryptoError(() => otherApp.decrypt(subject.encrypt('hello')), 'appid-mismatch');
  });

  void it('a byte flipped in each plaintext region: random is unchecked by design, the rest is caught or changes the message', () => {
    const plaintext = buildPlaintext({ message: 'hello world, this is long enough' });
    const regions: [name: string, index: number, outcome: WeChatCryptoErrorCode | 'accepted' | 'altered'][] = [
      ['random', 3, 'accepted'],
      ['length field (high byte)', 16, 'invalid-length-field'],
      ['length field (low byte)', 19, 'appid-mismatch'],
      ['message', 25, 'altered'],
      ['appid', plaintext.length - paddingLengthOf(plaintext) - 2, 'appid-mismatch'],
      ['padding', plaintext.length - 2, 'invalid-padding'],
      ['last byte', plaintext.length - 1, 'invalid-padding'],
    ];
    for (const [name, index, outcome] of regions) {
      const tampered = Buffer.from(plaintext);
      tampered[index] = (tampered[index] ?? 0) ^ 0x01;
      const encrypted = rawEncrypt(tampered).toString('base64');
      if (outcome === 'accepted') assert.equal(subject.decrypt(encrypted), 'hello world, this is long enough', name);
      else if (outcome === 'altered') assert.notEqual(subject.decrypt(encrypted), 'hello world, this is long enough', name);
      else assertCryptoError(() => subject.decrypt(encrypted), outcome);
    }
  });

  void it('a byte flipped anywhere in the ciphertext fails msg_signature, and decrypt never returns the original', () => {
    const encrypted = subject.encrypt(SAMPLE_MESSAGE);
    const signature = subject.msgSignature('1714037059', '486452656', encrypted);
    const ciphertext = Buffer.from(encrypted, 'base64');
    for (const index of [0, 3, 5, 15, 16, 19, 40, ciphertext.length - 33, ciphertext.length - 17, ciphertext.length - 1]) {
      const tampered = Buffer.from(ciphertext);
      tampered[index] = (tampered[index] ?? 0) ^ 0x80;
      const tamperedText = tampered.toString('base64');
      assert.equal(subject.verifyMsgSignature(signature, '1714037059', '486452656', tamperedText), false);
      try {
        assert.notEqual(subject.decrypt(tamperedText), SAMPLE_MESSAGE);
      } catch (error) {
        assert.ok(error instanceof WeChatCryptoError, `byte ${index}: ${String(error)}`);
      }
    }
  });

  void it('ciphertext length: truncated, not a multiple of 32, empty', () => {
    const ciphertext = Buffer.from(subject.encrypt(SAMPLE_MESSAGE), 'base64');
    for (const cut of [16, 1, 31]) {
      assertCryptoError(() => subject.decrypt(ciphertext.subarray(0, ciphertext.length - cut).toString('base64')), 'invalid-ciphertext-length');
    }
    assertCryptoError(() => subject.decrypt(rawEncrypt(Buffer.alloc(48, 1)).toString('base64')), 'invalid-ciphertext-length');
    assertCryptoError(() => subject.decrypt(rawEncrypt(Buffer.alloc(16, 1)).toString('base64')), 'invalid-ciphertext-length');
    assertCryptoError(() => subject.decrypt(''), 'invalid-ciphertext-length');
    // Dropping the last 32 bytes leaves whole blocks, but the padding then comes from the middle of the data.
    assertCryptoError(() => subject.decrypt(ciphertext.subarray(0, ciphertext.length - 32).toString('base64')), 'invalid-padding');
  });

  void it('base64: whitespace, URL alphabet, misplaced "=", bad length, non-canonical bits, non-ASCII', () => {
    const encrypted = subject.encrypt('hello'); // 64 bytes → 88 characters ending in "=="
    assert.ok(encrypted.endsWith('=='));
    const middle = 40;
    const variants = [
      `${encrypted.slice(0, middle)} ${encrypted.slice(middle)}`,
      `${encrypted.slice(0, middle)}\n${encrypted.slice(middle)}`,
      `${encrypted}\n`,
      ` ${encrypted}`,
      `${encrypted.slice(0, middle)}\t${encrypted.slice(middle)}`,
      `${encrypted.slice(0, middle)}=${encrypted.slice(middle + 1)}`, // "=" in the middle
      `${encrypted}====`,
      encrypted.slice(0, -2), // padding stripped: length not a multiple of 4
      encrypted.slice(0, -1),
      `${encrypted.slice(0, middle)}é${encrypted.slice(middle + 1)}`,
      `${encrypted.slice(0, middle)}.${encrypted.slice(middle + 1)}`,
    ];
    for (const variant of variants) assertCryptoError(() => subject.decrypt(variant), 'invalid-base64');

    // The URL-safe alphabet: Node would decode '-' and '_' as '+' and '/'.
    const withPlus = (() => {
      for (let attempt = 0; attempt < 100; attempt++) {
        const candidate = subject.encrypt(`hello ${attempt}`);
        if (candidate.includes('+') && candidate.includes('/')) return candidate;
      }
      throw new Error('no ciphertext with + and / in 100 tries');
    })();
    assertCryptoError(() => subject.decrypt(withPlus.replaceAll('+', '-')), 'invalid-base64');
    assertCryptoError(() => subject.decrypt(withPlus.replaceAll('/', '_')), 'invalid-base64');

    // Non-canonical trailing bits: the character before "==" carries 4 unused bits that must be zero.
    const lastDataIndex = encrypted.length - 3;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const value = alphabet.indexOf(encrypted.charAt(lastDataIndex));
    const nonCanonical = `${encrypted.slice(0, lastDataIndex)}${alphabet.charAt(value | 1)}==`;
    assert.deepEqual(Buffer.from(nonCanonical, 'base64'), Buffer.from(encrypted, 'base64'));
    assertCryptoError(() => subject.decrypt(nonCanonical), 'invalid-base64');
  });
});

// ---------------------------------------------------------------------------------------------------------
// Encryption freshness and the reply envelope

function envelopeField(envelope: string, name: string): string {
  const match = new RegExp(`<${name}>(?:<!\\[CDATA\\[(.*?)\\]\\]>|([^<]*))</${name}>`, 'u').exec(envelope);
  assert.ok(match, `${name} in ${envelope}`);
  return match[1] ?? match[2] ?? '';
}

void describe('encrypt', () => {
  void it('uses a fresh random prefix every call, across pool refills', () => {
    const prefixes = new Set<string>();
    for (let call = 0; call < 600; call++) {
      prefixes.add(rawDecrypt(subject.encrypt('same text')).subarray(0, 16).toString('hex'));
    }
    assert.equal(prefixes.size, 600);
    assert.notEqual(subject.encrypt('same text'), subject.encrypt('same text'));
  });

  void it('refuses a given random prefix that is not 16 bytes', () => {
    assert.throws(() => subject.encrypt('x', Buffer.alloc(15)), RangeError);
    assert.throws(() => subject.encrypt('x', Buffer.alloc(17)), RangeError);
  });
});

void describe('encryptReply', () => {
  const reply = '<xml><ToUserName><![CDATA[oUser]]></ToUserName><Content><![CDATA[a ]]]]><![CDATA[> b]]></Content></xml>';

  void it('builds an envelope that wechat-crypto decrypts and whose MsgSignature verifies', () => {
    const before = Math.floor(Date.now() / 1000);
    const envelope = subject.encryptReply(reply);
    const after = Math.floor(Date.now() / 1000);
    assert.match(envelope, /^<xml><Encrypt><!\[CDATA\[[A-Za-z0-9+/=]+\]\]><\/Encrypt><MsgSignature><!\[CDATA\[[0-9a-f]{40}\]\]><\/MsgSignature><TimeStamp>\d+<\/TimeStamp><Nonce><!\[CDATA\[\d{10}\]\]><\/Nonce><\/xml>$/u);
    const encrypted = envelopeField(envelope, 'Encrypt');
    const signature = envelopeField(envelope, 'MsgSignature');
    const timestamp = envelopeField(envelope, 'TimeStamp');
    const nonce = envelopeField(envelope, 'Nonce');

    assert.deepEqual(reference.decrypt(encrypted), { message: reply, id: APP_ID });
    assert.equal(subject.decrypt(encrypted), reply);
    assert.ok(subject.verifyMsgSignature(signature, timestamp, nonce, encrypted));
    assert.equal(reference.getSignature(timestamp, nonce, encrypted), signature);
    const seconds = Number(timestamp);
    assert.ok(seconds >= before && seconds <= after, `TimeStamp ${timestamp} is seconds now`);
  });

  void it('takes the clock in milliseconds and writes seconds', () => {
    const envelope = subject.encryptReply(reply, 1_714_037_059_999);
    assert.equal(envelopeField(envelope, 'TimeStamp'), '1714037059');
  });

  void it('uses a fresh nonce and a fresh ciphertext every call', () => {
    const envelopes = Array.from({ length: 50 }, () => subject.encryptReply(reply, 1_714_037_059_000));
    assert.equal(new Set(envelopes.map((envelope) => envelopeField(envelope, 'Nonce'))).size, 50);
    assert.equal(new Set(envelopes.map((envelope) => envelopeField(envelope, 'Encrypt'))).size, 50);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Keys, signatures, secrecy

void describe('aes key validation', () => {
  void it('accepts 43 characters of [A-Za-z0-9] only', () => {
    assert.ok(isValidAesKey(AES_KEY));
    assert.ok(isValidAesKey('0'.repeat(43)));
    const invalid = [
      AES_KEY.slice(0, 42), `${AES_KEY}A`, `${AES_KEY}=`, '', `${AES_KEY.slice(0, 42)}+`, `${AES_KEY.slice(0, 42)}/`,
      `${AES_KEY.slice(0, 42)}-`, `${AES_KEY.slice(0, 42)}_`, `${AES_KEY.slice(0, 42)} `, ` ${AES_KEY.slice(1)}`,
      `${AES_KEY.slice(0, 42)}é`, `${AES_KEY.slice(0, 41)}\n`, `${AES_KEY.slice(0, 42)}\n`,
    ];
    for (const aesKey of invalid) {
      assert.equal(isValidAesKey(aesKey), false, JSON.stringify(aesKey));
      assertCryptoError(() => new MessageCrypto({ token: TOKEN, aesKey, appId: APP_ID }), 'invalid-key');
    }
  });

  void it('ignores the unused trailing bits of the last character', () => {
    // 'G' = 000110: the low two bits are unused, so E, F, G and H decode to the same key.
    const vector = vectors.find((candidate) => candidate.id === 'official-sample-oa-decrypt');
    assert.ok(vector, 'fixture vector official-sample-oa-decrypt');
    const baseKey = field(vector, 'encodingAESKey');
    assert.ok(baseKey.endsWith('G'));
    for (const last of ['E', 'F', 'G', 'H']) {
      const variant: MessageCrypto = new MessageCrypto({ token: field(vector, 'token'), aesKey: `${baseKey.slice(0, 42)}${last}`, appId: field(vector, 'appid') });
      assert.equal(variant.decrypt(field(vector, 'encrypt')), vector.derived_plaintext);
    }
  });
});

void describe('signatures', () => {
  void it('sorts before concatenating and does not depend on argument order', () => {
    assert.equal(sha1Signature('b', 'c', 'a'), sha1Signature('a', 'b', 'c'));
    assert.equal(sha1Signature('a', 'b', 'c'), crypto.createHash('sha1').update('abc').digest('hex'));
  });

  void it('signaturesEqual: equal, different, missing, other lengths, multibyte — never throws', () => {
    const expected = sha1Signature('token', '1', '2');
    assert.ok(signaturesEqual(expected, `${expected}`));
    assert.equal(signaturesEqual(expected, undefined), false);
    assert.equal(signaturesEqual(expected, ''), false);
    assert.equal(signaturesEqual(expected, expected.slice(1)), false);
    assert.equal(signaturesEqual(expected, `${expected}0`), false);
    assert.equal(signaturesEqual(expected, expected.toUpperCase()), false);
    assert.equal(signaturesEqual(expected, `${expected.slice(0, -1)}${expected.endsWith('0') ? '1' : '0'}`), false);
    assert.equal(signaturesEqual(expected, `${expected.slice(0, -1)}é`), false); // same length in chars, not bytes
  });

  void it('verifyMsgSignature rejects missing and wrong signatures', () => {
    const encrypted = subject.encrypt('hello');
    const signature = subject.msgSignature('1', '2', encrypted);
    assert.equal(subject.verifyMsgSignature(undefined, '1', '2', encrypted), false);
    assert.equal(subject.verifyMsgSignature(signature, '1', '3', encrypted), false);
    assert.equal(subject.verifyMsgSignature(signature, '2', '2', encrypted), false);
    assert.equal(subject.verifyMsgSignature(sha1Signature('other-token', '1', '2', encrypted), '1', '2', encrypted), false);
  });
});

void describe('secrecy', () => {
  const secrets = [TOKEN, AES_KEY, KEY_BYTES.toString('hex'), KEY_BYTES.toString('base64')];

  function assertNoSecrets(text: string, what: string): void {
    for (const secret of secrets) assert.ok(!text.includes(secret), `${what} leaks a secret: ${text}`);
  }

  void it('errors never carry the key, the token or the plaintext', () => {
    const failures: unknown[] = [];
    const attempt = (action: () => unknown): void => {
      try {
        action();
      } catch (error) {
        failures.push(error);
      }
    };
    attempt(() => new MessageCrypto({ token: TOKEN, aesKey: `${AES_KEY}A`, appId: APP_ID }));
    attempt(() => new MessageCrypto({ token: TOKEN, aesKey: AES_KEY.slice(0, 42), appId: APP_ID }));
    attempt(() => subject.decrypt('not base64!'));
    attempt(() => subject.decrypt('AAAA'));
    attempt(() => subject.decrypt(rawEncrypt(buildPlaintext({ message: 'PLAINTEXT-MARKER', padding: Buffer.alloc(10, 0) })).toString('base64')));
    attempt(() => subject.decrypt(rawEncrypt(buildPlaintext({ message: 'PLAINTEXT-MARKER', lengthField: 9999 })).toString('base64')));
    attempt(() => subject.decrypt(rawEncrypt(buildPlaintext({ message: 'PLAINTEXT-MARKER', appId: 'wx-other' })).toString('base64')));
    assert.equal(failures.length, 7);
    for (const failure of failures) {
      assert.ok(failure instanceof WeChatCryptoError);
      for (const text of [String(failure), failure.stack ?? '', inspect(failure), JSON.stringify(failure)]) {
        assertNoSecrets(text, failure.code);
        assert.ok(!text.includes('PLAINTEXT-MARKER'), `${failure.code} leaks plaintext`);
      }
    }
  });

  void it('the instance shows no key, iv or token to a logger', () => {
    assertNoSecrets(inspect(subject, { depth: 5, showHidden: true }), 'inspect');
    assertNoSecrets(JSON.stringify(subject), 'JSON.stringify');
    assert.deepEqual(Object.keys(subject), ['appId']);
  });
});
