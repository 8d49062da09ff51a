// Types for the npm `wechat-crypto` package (an independent WXBizMsgCrypt implementation used to cross-check ours).
declare module 'wechat-crypto' {
  export default class WXBizMsgCrypt {
    constructor(token: string, encodingAESKey: string, id: string);
    getSignature(timestamp: string, nonce: string, encrypt: string): string;
    decrypt(text: string): { message: string; id: string };
    encrypt(text: string): string;
  }
}
