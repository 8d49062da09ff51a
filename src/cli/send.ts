/**
 * `wx-backend send OPENID TEXT`: one customer-service text message to a user, e.g. to answer by hand or to check
 * that the account may send them.
 */
import type { CliIo } from './cli-io.js';
import { isHelpRequest, parseCommandArgs, requirePositionals, UsageError } from './command-line.js';
import { runWithWeChat } from './wechat-context.js';

/** WeChat's limit for a customer-service text (UTF-8 bytes); longer answers are the delivery layer's to split. */
const MAX_TEXT_BYTES = 2048;

export const sendHelp = `Usage: wx-backend send OPENID TEXT... [--kf-account ACCOUNT]

Sends TEXT (the remaining words, joined by spaces; at most ${MAX_TEXT_BYTES} bytes) to the user OPENID as a
customer-service message (客服消息). WeChat allows it only to accounts with that permission (errcode 48001
otherwise), within 48 hours of the user's last message (45015), and a few times per user message (45047).

Options:
  --kf-account ACCOUNT  send as this customer-service account (kf2001@account)
  -h, --help            this help`;

export async function sendCommand(args: string[], io: CliIo): Promise<number> {
  if (isHelpRequest(args[0]) && args.length === 1) {
    io.print(sendHelp);
    return 0;
  }
  const { values, positionals } = parseCommandArgs(args, { 'kf-account': { type: 'string' } }, sendHelp);
  if (values.help) {
    io.print(sendHelp);
    return 0;
  }
  const [openId = '', ...words] = requirePositionals(positionals, 'OPENID and TEXT', 2, sendHelp, true);
  const text = words.join(' ');
  if (text.trim() === '') throw new UsageError('TEXT is empty', sendHelp);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_TEXT_BYTES) throw new UsageError(`TEXT is ${bytes} bytes; WeChat takes at most ${MAX_TEXT_BYTES}`, sendHelp);
  const kfAccount = values['kf-account'];
  return runWithWeChat(io, 'send', async ({ api, print }) => {
    await api.customService.sendText(openId, text, kfAccount === undefined ? {} : { kfAccount });
    print(`sent to ${openId}`);
    return 0;
  });
}
