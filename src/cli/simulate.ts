/**
 * `wx-backend simulate TEXT`: sends one message to a running wx-backend exactly as WeChat would (signed; with
 * `--encrypted` in safe mode, `--compat` in compatible mode) and prints the reply it got, decrypted.
 */
import { eventXml, textMessageXml, WeChatEmulator, type DeliveryMode } from '../simulator/wechat-emulator.js';
import type { CliIo } from './cli-io.js';
import { parseCommandArgs } from './command-line.js';
import { loadCliConfig } from './wechat-context.js';

export const simulateHelp = `Usage: wx-backend simulate TEXT [options]

Sends TEXT to a running wx-backend the way WeChat's server does and prints the reply.
Credentials come from the same configuration as the server (environment, .env, or demo mode's generated ones).

Options:
  --url URL          callback URL (default http://127.0.0.1:$PORT$WECHAT_PATH)
  --encrypted        safe mode (encrypt_type=aes, msg_signature); needs WECHAT_AES_KEY
  --compat           compatible mode (plaintext fields and Encrypt)
  --from OPENID      the user's openid (default o_simulator_user)
  --to ACCOUNT       the account id, gh_… (default gh_simulator)
  --event NAME       send an event instead of TEXT (e.g. subscribe, CLICK)
  --event-key KEY    the event's EventKey
  --timeout MS       how long to wait for the answer (default 5000, like WeChat)
  -h, --help         this help`;

export async function simulateCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    url: { type: 'string' },
    encrypted: { type: 'boolean', default: false },
    compat: { type: 'boolean', default: false },
    from: { type: 'string', default: 'o_simulator_user' },
    to: { type: 'string', default: 'gh_simulator' },
    event: { type: 'string' },
    'event-key': { type: 'string' },
    timeout: { type: 'string', default: '5000' },
  }, simulateHelp);
  if (values.help) {
    io.print(simulateHelp);
    return 0;
  }
  const text = positionals.join(' ');
  if (!text && !values.event) {
    io.printError('simulate: give the TEXT to send (or --event NAME); see --help');
    return 2;
  }
  const config = loadCliConfig(io);
  const url = values.url ?? `http://127.0.0.1:${config.port}${config.wechat.path}`;
  const mode: DeliveryMode = values.encrypted ? 'safe' : values.compat ? 'compat' : 'plain';
  if (mode !== 'plain' && !config.wechat.aesKey) {
    io.printError('simulate: --encrypted/--compat need WECHAT_AES_KEY');
    return 2;
  }
  const emulator = new WeChatEmulator(
    { token: config.wechat.token, appId: config.wechat.appId, ...(config.wechat.aesKey ? { aesKey: config.wechat.aesKey } : {}) },
    url,
  );
  const address = { from: values.from, to: values.to };
  const messageXml = values.event
    ? eventXml({ ...address, event: values.event, ...(values['event-key'] === undefined ? {} : { eventKey: values['event-key'] }) })
    : textMessageXml({ ...address, content: text });
  let answer;
  try {
    answer = await emulator.deliver(emulator.sign(messageXml, mode), { timeoutMs: Number(values.timeout) || 5000 });
  } catch (error) {
    const reason = error instanceof Error && error.name === 'TimeoutError' ? 'no answer in time' : error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    io.printError(`simulate: cannot reach ${url}: ${reason}. Is the server running (npm start)?`);
    return 1;
  }
  if (answer.status !== 200) {
    io.printError(`simulate: HTTP ${answer.status}: ${answer.body}`);
    return 1;
  }
  if (!answer.reply) {
    io.print(`(no reply: the server answered ${answer.body === '' ? 'with an empty body' : JSON.stringify(answer.body)})`);
    return 0;
  }
  if (answer.signatureValid === false) {
    io.printError('simulate: the reply MsgSignature does not verify');
    return 1;
  }
  const { MsgType: type, Content: content } = answer.reply;
  io.print(type === 'text' && typeof content === 'string' ? content : JSON.stringify(answer.reply, null, 2));
  return 0;
}
