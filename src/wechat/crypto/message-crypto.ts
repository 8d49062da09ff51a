import crypto from 'node:crypto';
import { WeChatCryptoError } from './crypto-error.js';
import { signature4, signaturesEqual } from './signature.js';

/**
 * WeChat message encryption (WXBizMsgCrypt), used in safe (安全) and compatible (兼容) modes:
 *
 *   key        = base64decode(EncodingAESKey + '=')       32 bytes, AES-256
 *   iv         = key[0..16]
 *   plaintext  = random(16) | uint32 BE length | message (UTF-8) | appid
 *   ciphertext = base64(AES-256-CBC(PKCS#7 with a 32-byte block(plaintext)))
 *
 * The same algorithm serves WeCom with the corp id in place of the appid. Decryption checks everything
 * WeChat's own samples skip: strict base64, whole 32-byte blocks, every pad byte, the length field's bounds
 * and the appid. Verify `msg_signature` before decrypting: the signature is what makes the ciphertext
 * authentic, and checking it first leaves no padding oracle to probe.
 */

const AES_KEY_PATTERN = /^[A-Za-z0-9]{43}$/;
const BLOCK_SIZE = 32;
const RANDOM_LENGTH = 16;
const HEADER_LENGTH = RANDOM_LENGTH + 4;

/** AES's own block (the CBC chaining unit), not WeChat's 32-byte padding block. */
const CBC_BLOCK = 16;

/** XORs the first CBC block with IV ⊕ chain, so a long-lived cipher whose chaining value is `chain` acts as if fresh. */
function restartChain(data: Buffer, iv: Buffer, chain: Buffer): void {
  for (let index = 0; index < CBC_BLOCK; index++) data[index] = (data[index] ?? 0) ^ (iv[index] ?? 0) ^ (chain[index] ?? 0);
}

/** True for any 43-character `[A-Za-z0-9]` string, as WeChat generates EncodingAESKey. */
export function isValidAesKey(value: string): boolean {
  return AES_KEY_PATTERN.test(value);
}

// Random prefixes come from a CSPRNG pool refilled in bulk: one randomFillSync per 256 replies instead of
// one per reply. The pool is module-wide; the bytes are not secret once they are in a ciphertext's header.
const randomPool = Buffer.allocUnsafe(4096);
let randomPoolOffset = randomPool.length;

function copyRandomPrefix(target: Buffer): void {
  if (randomPoolOffset === randomPool.length) {
    crypto.randomFillSync(randomPool);
    randomPoolOffset = 0;
  }
  randomPool.copy(target, 0, randomPoolOffset, randomPoolOffset + RANDOM_LENGTH);
  randomPoolOffset += RANDOM_LENGTH;
}

/**
 * A fresh 10-digit nonce for a reply envelope, from the same CSPRNG pool (16 bytes per nonce, so the pool stays
 * aligned): 48 random bits reduced modulo 9·10⁹ (bias below 2⁻¹⁵, irrelevant for a nonce), plus 10⁹.
 */
function randomNonce(): string {
  if (randomPoolOffset === randomPool.length) {
    crypto.randomFillSync(randomPool);
    randomPoolOffset = 0;
  }
  const value = randomPool.readUIntBE(randomPoolOffset, 6);
  randomPoolOffset += RANDOM_LENGTH;
  return String(1_000_000_000 + (value % 9_000_000_000));
}

/**
 * Decodes strict, canonical base64, or returns undefined. Node's decoder skips whitespace and illegal
 * characters and accepts the URL alphabet, so the result is checked by encoding it again: only text that is
 * exactly the canonical encoding of its bytes passes — standard alphabet, correct `=` padding, length a multiple
 * of 4, zero unused bits — so one ciphertext has exactly one spelling. (One decode plus one encode measured
 * faster than a validating regex over the text.)
 */
function decodeStrictBase64(text: string): Buffer | undefined {
  if (text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

export interface MessageCryptoOptions {
  /** The Token configured on the platform. */
  token: string;
  /** EncodingAESKey: 43 characters of `[A-Za-z0-9]`. */
  aesKey: string;
  /** The appid (official accounts) or corp id / receive id (WeCom) bound into every ciphertext. */
  appId: string;
}

export class MessageCrypto {
  readonly appId: string;
  // Secrets live in #private fields: no enumerable property for a logger or JSON.stringify to print.
  readonly #token: string;
  readonly #key: Buffer;
  readonly #iv: Buffer;
  readonly #appIdBytes: Buffer;
  /**
   * One long-lived cipher and decipher instead of a pair per message: creating them costs more than the AES work
   * on a typical message. CBC chains each block to the previous ciphertext block, so a reused object starts a
   * message from the previous message's last ciphertext block instead of the IV. That only ever concerns the
   * first 16-byte block, which in WXBizMsgCrypt is the random prefix:
   * - encrypting, the first plaintext block is XORed with (IV ⊕ chaining value) before it goes in,
   * - decrypting, the first plaintext block is XORed with (IV ⊕ chaining value) after it comes out,
   * which makes both byte for byte what a fresh cipher started from the IV gives (the known-answer vectors and
   * the cross-checks with an independent implementation cover it).
   * Without auto padding and with whole blocks in, `update` returns every block and buffers nothing, so no
   * state other than the chaining value carries over; JavaScript runs one `update` at a time.
   */
  readonly #cipher: crypto.Cipher;
  readonly #decipher: crypto.Decipher;
  /** Current chaining values: the IV at first, then the last ciphertext block that went out or came in. */
  readonly #cipherChain: Buffer;
  readonly #decipherChain: Buffer;

  /** @throws WeChatCryptoError 'invalid-key' unless aesKey is 43 characters of `[A-Za-z0-9]`. */
  constructor(options: MessageCryptoOptions) {
    if (!isValidAesKey(options.aesKey)) throw new WeChatCryptoError('invalid-key');
    // 43 characters carry 258 bits; the last character's two low bits are unused and not checked, as in
    // every WeChat SDK, so any key the platform generates is accepted.
    this.#key = Buffer.from(`${options.aesKey}=`, 'base64');
    this.#iv = this.#key.subarray(0, 16);
    this.#token = options.token;
    this.appId = options.appId;
    this.#appIdBytes = Buffer.from(options.appId, 'utf8');
    this.#cipher = crypto.createCipheriv('aes-256-cbc', this.#key, this.#iv).setAutoPadding(false);
    this.#decipher = crypto.createDecipheriv('aes-256-cbc', this.#key, this.#iv).setAutoPadding(false);
    this.#cipherChain = Buffer.from(this.#iv);
    this.#decipherChain = Buffer.from(this.#iv);
  }

  /**
   * The message inside an `Encrypt` value.
   * @throws WeChatCryptoError 'invalid-base64' | 'invalid-ciphertext-length' | 'invalid-padding' |
   *   'invalid-length-field' | 'appid-mismatch'
   */
  decrypt(encrypted: string): string {
    const ciphertext = decodeStrictBase64(encrypted);
    if (ciphertext === undefined) throw new WeChatCryptoError('invalid-base64');
    if (ciphertext.length === 0 || ciphertext.length % BLOCK_SIZE !== 0) {
      throw new WeChatCryptoError('invalid-ciphertext-length');
    }

    const plaintext = this.#decipher.update(ciphertext);
    if (plaintext.length !== ciphertext.length) throw new WeChatCryptoError('invalid-ciphertext-length');
    restartChain(plaintext, this.#iv, this.#decipherChain);
    ciphertext.copy(this.#decipherChain, 0, ciphertext.length - CBC_BLOCK);

    const padLength = plaintext[plaintext.length - 1] ?? 0;
    if (padLength < 1 || padLength > BLOCK_SIZE) throw new WeChatCryptoError('invalid-padding');
    const end = plaintext.length - padLength;
    let padMismatch = 0;
    for (let index = end; index < plaintext.length - 1; index++) padMismatch |= (plaintext[index] ?? 0) ^ padLength;
    if (padMismatch !== 0) throw new WeChatCryptoError('invalid-padding');

    // The buffer is at least one 32-byte block, so the field is always readable; its value is untrusted.
    const messageLength = plaintext.readUInt32BE(RANDOM_LENGTH);
    const messageEnd = HEADER_LENGTH + messageLength;
    if (messageEnd > end) throw new WeChatCryptoError('invalid-length-field');

    if (!plaintext.subarray(messageEnd, end).equals(this.#appIdBytes)) throw new WeChatCryptoError('appid-mismatch');
    return plaintext.toString('utf8', HEADER_LENGTH, messageEnd);
  }

  /**
   * Encrypts a message for WeChat. `random` (16 bytes) exists for known-answer tests only; production
   * callers leave it out and get a fresh CSPRNG prefix.
   */
  encrypt(plaintext: string, random?: Buffer): string {
    if (random !== undefined && random.length !== RANDOM_LENGTH) {
      throw new RangeError(`random prefix must be ${RANDOM_LENGTH} bytes`);
    }
    const messageLength = Buffer.byteLength(plaintext, 'utf8');
    const unpaddedLength = HEADER_LENGTH + messageLength + this.#appIdBytes.length;
    const padLength = BLOCK_SIZE - (unpaddedLength % BLOCK_SIZE); // 1..32: a full block when already aligned
    const block = Buffer.allocUnsafe(unpaddedLength + padLength);
    if (random === undefined) copyRandomPrefix(block);
    else random.copy(block, 0);
    block.writeUInt32BE(messageLength, RANDOM_LENGTH);
    block.write(plaintext, HEADER_LENGTH, 'utf8');
    this.#appIdBytes.copy(block, HEADER_LENGTH + messageLength);
    block.fill(padLength, unpaddedLength);

    restartChain(block, this.#iv, this.#cipherChain);
    const ciphertext = this.#cipher.update(block);
    ciphertext.copy(this.#cipherChain, 0, ciphertext.length - CBC_BLOCK);
    return ciphertext.toString('base64');
  }

  /** `msg_signature` over an `Encrypt` value: sha1Signature(token, timestamp, nonce, encrypted). */
  msgSignature(timestamp: string, nonce: string, encrypted: string): string {
    return signature4(this.#token, timestamp, nonce, encrypted);
  }

  /** Constant-time check of a request's `msg_signature`; a missing signature is simply invalid. */
  verifyMsgSignature(signature: string | undefined, timestamp: string, nonce: string, encrypted: string): boolean {
    return signaturesEqual(this.msgSignature(timestamp, nonce, encrypted), signature);
  }

  /**
   * The passive-reply envelope for safe/compatible mode: the reply encrypted with a fresh random prefix,
   * signed with a fresh CSPRNG nonce (10 digits) and the timestamp in seconds.
   * @param nowMilliseconds the clock, in milliseconds like Date.now() (tests pin it).
   */
  encryptReply(replyXml: string, nowMilliseconds: number = Date.now()): string {
    const encrypted = this.encrypt(replyXml);
    const timestamp = String(Math.floor(nowMilliseconds / 1000));
    const nonce = randomNonce();
    const signature = this.msgSignature(timestamp, nonce, encrypted);
    // Base64 and digits cannot contain ']]>', so the CDATA sections need no splitting.
    return `<xml><Encrypt><![CDATA[${encrypted}]]></Encrypt><MsgSignature><![CDATA[${signature}]]></MsgSignature>` +
      `<TimeStamp>${timestamp}</TimeStamp><Nonce><![CDATA[${nonce}]]></Nonce></xml>`;
  }
}
