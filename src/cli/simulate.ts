/**
 * `wx-backend simulate TEXT`: sends one message to a running wx-backend exactly as WeChat would — signed; with
 * `--encrypted` in safe mode, `--compat` in compatible mode — and with WeChat's delivery rule (5 s per delivery, up
 * to 3 byte-identical deliveries: `deliverLikeWeChat`, shared with the web simulator). It prints what the user
 * would see: the passive reply, and the customer-service messages that follow when the server has its simulator
 * on (demo mode, `SIMULATOR_ENABLED=true`). Progress and notes go to stderr, what the user sees to stdout.
 *
 * Exit codes: 0 the message was answered (a reply, or `success` with the answer following); 1 the user would see
 * nothing (the server cannot be reached, no delivery got an answer, an unreadable reply); 2 a usage problem.
 */
import type { AccountMessage, SimulatorEvent } from '../simulator/simulator-events.js';
import { deliverLikeWeChat, WECHAT_DELIVERIES, type DeliveryAttempt } from '../simulator/deliver-like-wechat.js';
import { eventXml, textMessageXml, WeChatEmulator, type DeliveryMode } from '../simulator/wechat-emulator.js';
import type { CliIo } from './cli-io.js';
import { parseCommandArgs } from './command-line.js';
import { followSimulatorEvents, type EventFollower } from './simulator-event-follower.js';
import { loadCliConfig } from './wechat-context.js';

export const simulateHelp = `Usage: wx-backend simulate TEXT [options]

Sends TEXT to a running wx-backend the way WeChat's server does and prints what the user would see.
Credentials come from the same configuration as the server (environment, .env, or demo mode's generated ones).

Like WeChat, it waits 5 s for each delivery and delivers the same request again (up to 3 times) when there is
no answer in time. It prints the passive reply (which may be a placeholder: send the pickup keyword, 继续 by
default, to get the answer), and then the customer-service messages the answer comes in, when the server's
simulator is on (demo mode or SIMULATOR_ENABLED=true); progress goes to stderr.

Options:
  --url URL          callback URL (default http://127.0.0.1:$PORT$WECHAT_PATH)
  --encrypted        safe mode (encrypt_type=aes, msg_signature); needs WECHAT_AES_KEY
  --compat           compatible mode (plaintext fields and Encrypt)
  --from OPENID      the user's openid (default o_simulator_user)
  --to ACCOUNT       the account id, gh_… (default gh_simulator)
  --event NAME       send an event instead of TEXT (e.g. subscribe, CLICK)
  --event-key KEY    the event's EventKey
  --timeout MS       WeChat's wait per delivery (default 5000)
  --wait SECONDS     how long to wait for customer-service messages (default 60; 0: do not wait)
  -h, --help         this help

Exit codes: 0 answered; 1 the user would see nothing (server not reachable, no delivery answered, bad reply);
2 usage or configuration problem.`;

/** After a customer-service message, the answer is complete unless the typing indicator comes back this soon. */
const QUIET_MS = 1_500;
/** After a passive reply, how long customer-service messages continuing it may take to start. */
const AFTER_PASSIVE_MS = 700;

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
    wait: { type: 'string', default: '60' },
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
  const timeoutMs = Number(values.timeout);
  const waitSeconds = Number(values.wait);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    io.printError('simulate: --timeout must be a positive number of milliseconds');
    return 2;
  }
  if (!Number.isFinite(waitSeconds) || waitSeconds < 0) {
    io.printError('simulate: --wait must be a number of seconds, 0 or more');
    return 2;
  }
  const config = loadCliConfig(io);
  const url = values.url ?? `http://127.0.0.1:${config.port}${config.wechat.path}`;
  let serverUrl: string;
  try {
    serverUrl = new URL(url).origin;
  } catch {
    io.printError(`simulate: --url is not a URL: ${url}`);
    return 2;
  }
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

  // Follow the user's chat before the message goes out, so that no customer-service message is missed.
  const following = await followSimulatorEvents(serverUrl, values.from);
  const follower = following.status === 'following' ? following.follower : undefined;
  try {
    const exchange = await deliverLikeWeChat(emulator, emulator.sign(messageXml, mode), {
      timeoutMs,
      // Progress for what the user would wait through; a refused connection is summed up once at the end.
      onAttempt: (attempt) => {
        if (attempt.status !== 200 && attempt.status !== 'refused') io.printError(`simulate: delivery ${attempt.number}: ${describeAttempt(attempt)}${attempt.number < WECHAT_DELIVERIES ? '; WeChat delivers it again' : ''}`);
      },
    });
    const { answer, deliveries } = exchange;
    if (answer === undefined) {
      if (deliveries.every((each) => each.status === 'refused')) {
        io.printError(`simulate: cannot reach ${url}: connection refused. Is the server running (npm start)?`);
      } else {
        io.printError(`simulate: no delivery got an answer (${deliveries.map(describeAttempt).join('; ')}): WeChat gives up, the user sees nothing`);
      }
      return 1;
    }
    if (answer.problem !== undefined) {
      io.printError(`simulate: the reply cannot be read as WeChat would: ${answer.problem}`);
      return 1;
    }
    if (answer.signatureValid === false) {
      io.printError('simulate: the reply MsgSignature does not verify');
      return 1;
    }
    if (answer.reply !== undefined) {
      const { MsgType: type, Content: content } = answer.reply;
      io.print(type === 'text' && typeof content === 'string' ? content : JSON.stringify(answer.reply, null, 2));
      // A long answer continues by customer-service messages right after its first part.
      if (follower !== undefined && waitSeconds > 0) await printCustomerServiceMessages(follower, io, serverUrl, { firstWithinMs: AFTER_PASSIVE_MS, untilMs: waitSeconds * 1000 });
      return 0;
    }
    const how = answer.body === '' ? 'with an empty body' : JSON.stringify(answer.body);
    if (follower === undefined) {
      const why = following.status === 'disabled'
        ? 'the server\'s simulator is off (it is on in demo mode or with SIMULATOR_ENABLED=true)'
        : `the server's simulator events cannot be followed (${following.status === 'unavailable' ? following.reason : ''})`;
      io.printError(`simulate: (no passive reply: the server answered ${how}; an answer would follow as customer-service messages, not shown: ${why})`);
      return 0;
    }
    if (waitSeconds === 0) {
      io.printError(`simulate: (no passive reply: the server answered ${how}; --wait 0: not waiting for customer-service messages)`);
      return 0;
    }
    io.printError(`simulate: (no passive reply: the server answered ${how}; waiting up to ${waitSeconds} s for customer-service messages)`);
    const shown = await printCustomerServiceMessages(follower, io, serverUrl, { firstWithinMs: waitSeconds * 1000, untilMs: waitSeconds * 1000 });
    if (shown === 0) io.printError(`simulate: no customer-service message within ${waitSeconds} s`);
    return 0;
  } finally {
    follower?.close();
  }
}

/**
 * Prints customer-service messages as they come: the first within `firstWithinMs`; after each, the answer is
 * complete unless the typing indicator comes back within QUIET_MS; never beyond `untilMs`. Returns how many.
 */
async function printCustomerServiceMessages(follower: EventFollower, io: CliIo, serverUrl: string, limits: { firstWithinMs: number; untilMs: number }): Promise<number> {
  const deadline = Date.now() + limits.untilMs;
  let printed = 0;
  let typing = false;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return printed;
    const wait = printed === 0 && !typing ? Math.min(limits.firstWithinMs, left) : typing ? left : Math.min(QUIET_MS, left);
    const event: SimulatorEvent | undefined = await follower.next(wait);
    if (event === undefined) return printed;
    if (event.type === 'typing') typing = event.on;
    if (event.type === 'customer-service-message') {
      io.print(describeMessage(event.message, serverUrl));
      printed += 1;
      typing = false;
    }
  }
}

function describeAttempt(attempt: DeliveryAttempt): string {
  switch (attempt.status) {
    case 'timeout':
      return `no answer within ${(attempt.ms / 1000).toFixed(1)} s`;
    case 'refused':
      return 'connection refused';
    case 'closed':
      return `connection failed (${attempt.error ?? 'closed'})`;
    default:
      return `HTTP ${attempt.status}${attempt.body ? `: ${attempt.body.trim().slice(0, 200)}` : ''}`;
  }
}

/** A customer-service message as one printable block (media as the server's simulator URL). */
function describeMessage(message: AccountMessage, serverUrl: string): string {
  switch (message.kind) {
    case 'text':
      return message.text;
    case 'image':
    case 'voice':
      return `[${message.kind}] ${serverUrl}${message.url}`;
    case 'video':
      return `[video] ${message.title ?? ''} ${serverUrl}${message.url}`.replace(/\s+/g, ' ');
    case 'music':
      return `[music] ${message.title ?? ''} ${message.url ?? ''}`.trim();
    case 'news':
      return message.articles.map((article) => `[news] ${article.title}${article.url ? ` ${article.url}` : ''}`).join('\n');
    case 'options':
      return [message.head, ...message.options.map((option) => `  · ${option}`), message.tail].filter((line) => line !== undefined).join('\n');
    case 'notice':
      return `[${message.text}]`;
  }
}
