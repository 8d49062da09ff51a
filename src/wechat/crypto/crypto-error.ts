/**
 * Why a WeChat message could not be decrypted, or why a key was refused.
 *
 * The HTTP layer maps every code to 400 (a malformed or forged body), except 'invalid-key', which is a
 * configuration error raised at boot. Messages come from a fixed table, so they can never carry the key,
 * the token or any plaintext, whatever the caller passes around.
 */
export type WeChatCryptoErrorCode =
  | 'invalid-key'
  | 'invalid-base64'
  | 'invalid-ciphertext-length'
  | 'invalid-padding'
  | 'invalid-length-field'
  | 'appid-mismatch';

const messages: Record<WeChatCryptoErrorCode, string> = {
  'invalid-key': 'EncodingAESKey must be 43 characters of [A-Za-z0-9]',
  'invalid-base64': 'Encrypt is not strict base64',
  'invalid-ciphertext-length': 'ciphertext length is not a non-zero multiple of 32 bytes',
  'invalid-padding': 'PKCS#7 padding (32-byte block) is invalid',
  'invalid-length-field': 'message length field exceeds the decrypted data',
  'appid-mismatch': 'appid in the decrypted data does not match',
};

export class WeChatCryptoError extends Error {
  override readonly name = 'WeChatCryptoError';
  readonly code: WeChatCryptoErrorCode;

  constructor(code: WeChatCryptoErrorCode) {
    super(messages[code]);
    this.code = code;
  }
}
