/**
 * Thrown by `parseMessage` when well-formed XML is not a WeChat message: `ToUserName`, `FromUserName` or
 * `MsgType` is missing, empty or not plain text. The endpoint maps it to HTTP 400.
 */
export class MessageFormatError extends Error {
  override readonly name = 'MessageFormatError';
  /** The wire name of the field that is missing or invalid. */
  readonly field: string;

  constructor(field: string) {
    super(`message field ${field} is missing or not text`);
    this.field = field;
  }
}
