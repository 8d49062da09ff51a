/**
 * The web simulator's server side: plays WeChat for a simulated user. `send` builds the message XML WeChat
 * would build, signs it (and in compatible/safe mode encrypts it) with the configured credentials — which never
 * leave the server — and delivers it to the service's own callback over real HTTP with WeChat's rule (5 s per
 * delivery, up to 3 byte-identical deliveries). What the user would see is published on the user's channel
 * (`hub`): the passive reply, and — reported by whoever plays WeChat's API (demo mode's fake) — customer-service
 * messages and the typing indicator.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { customerServiceMessage, passiveReplyMessage } from './account-messages.js';
import { deliverLikeWeChat, type WeChatExchange } from './deliver-like-wechat.js';
import type { ExchangeOutcome, UserMessage } from './simulator-events.js';
import { SimulatorHub } from './simulator-hub.js';
import { SIMULATOR_MEDIA_PATH, type MediaFile, type SimulatorMediaStore } from './simulator-media.js';
import { eventXml, messageXml, randomMsgId, WeChatEmulator, type DeliveryMode, type EmulatorCredentials, type SignedDelivery } from './wechat-emulator.js';

/** What a simulated user does. */
export type SimulatorInput =
  | { type: 'text'; content: string }
  | { type: 'image'; image: MediaFile }
  /** A menu click (`CLICK` with the button's key, `VIEW` with its URL), a follow or an unfollow. */
  | { type: 'event'; event: SimulatorEventName; eventKey?: string; label?: string };

export const SIMULATOR_EVENTS = ['subscribe', 'unsubscribe', 'CLICK', 'VIEW'] as const;
export type SimulatorEventName = (typeof SIMULATOR_EVENTS)[number];

/** A request the simulator cannot carry out; `status` is the HTTP status that says why (400, 503). */
export class SimulatorError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'SimulatorError';
  }
}

export interface ChatSimulatorOptions {
  /** The callback's credentials: the simulator signs and encrypts with them, exactly as WeChat does. */
  credentials: EmulatorCredentials;
  /** The delivery modes the callback accepts with this configuration; the first is the default. */
  modes: DeliveryMode[];
  /** `ToUserName` of the messages (the account's gh_ id); default `gh_simulator`. */
  accountId?: string;
  hub?: SimulatorHub;
  /** Where users' pictures are kept and the account's media read; without it pictures cannot be sent. */
  media?: SimulatorMediaStore;
  /** WeChat's wait per delivery (5 s); shorter only in tests. */
  timeoutMs?: number;
  log: Logger;
}

export interface SendOptions {
  /** The service's own callback, e.g. http://127.0.0.1:5080/wechat. */
  callbackUrl: string;
  /** The service's own base URL (for the `PicUrl` of a picture kept by a real account's store). */
  selfUrl: string;
  mode?: DeliveryMode;
}

/** Media ids the page may fetch: only those the simulator itself showed (bounded, oldest forgotten first). */
const MAX_KNOWN_MEDIA = 2000;

export class ChatSimulator {
  readonly hub: SimulatorHub;
  readonly modes: readonly DeliveryMode[];
  readonly #options: ChatSimulatorOptions;
  readonly #accountId: string;
  readonly #knownMedia = new Set<string>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #stop = new AbortController();
  #emulator: WeChatEmulator | undefined;
  #emulatorBase = '';

  constructor(options: ChatSimulatorOptions) {
    if (options.modes.length === 0) throw new Error('the simulator needs at least one delivery mode');
    this.#options = options;
    this.hub = options.hub ?? new SimulatorHub();
    this.modes = options.modes;
    this.#accountId = options.accountId ?? 'gh_simulator';
  }

  /** Whether users' pictures can be sent (a media store is configured). */
  get canSendImages(): boolean {
    return this.#options.media !== undefined;
  }

  /** Shows what the user sent and starts WeChat's deliveries of it; resolves once the message is on its way. */
  async send(openId: string, input: SimulatorInput, options: SendOptions): Promise<{ messageId: string }> {
    if (this.#stop.signal.aborted) throw new SimulatorError(503, 'the simulator is shutting down');
    const mode = options.mode ?? this.modes[0]!;
    if (!this.modes.includes(mode)) throw new SimulatorError(400, `mode must be one of ${this.modes.join(', ')} with this configuration`);
    const messageId = randomBytes(8).toString('base64url');
    const address = { from: openId, to: this.#accountId };
    let xml: string;
    let shown: UserMessage;
    if (input.type === 'text') {
      xml = messageXml(address, 'text', { Content: input.content, MsgId: randomMsgId() });
      shown = { kind: 'text', text: input.content };
    } else if (input.type === 'image') {
      const media = this.#options.media;
      if (media === undefined) throw new SimulatorError(503, 'pictures need the WeChat API (WECHAT_APPSECRET) outside demo mode');
      const stored = await media.storeUserImage(input.image, { selfUrl: options.selfUrl });
      xml = messageXml(address, 'image', { PicUrl: stored.picUrl, MediaId: stored.mediaId, MsgId: randomMsgId() });
      shown = { kind: 'image', url: this.mediaUrl(stored.mediaId) };
    } else {
      xml = eventXml({ ...address, event: input.event, ...(input.eventKey === undefined ? {} : { eventKey: input.eventKey }) });
      shown = { kind: 'event', event: input.event, ...(input.eventKey === undefined ? {} : { eventKey: input.eventKey }), ...(input.label === undefined ? {} : { label: input.label }) };
    }
    this.hub.publish(openId, { type: 'user-message', messageId, message: shown });
    const delivery = this.#emulatorFor(options.callbackUrl).sign(xml, mode);
    const running = this.#exchange(openId, messageId, delivery).finally(() => this.#inFlight.delete(running));
    this.#inFlight.add(running);
    return { messageId };
  }

  /** A customer-service message the account sent the user (`msgtype` and its member, as WeChat received them). */
  showCustomerServiceMessage(openId: string, msgtype: string, content: unknown): void {
    this.hub.publish(openId, { type: 'customer-service-message', message: customerServiceMessage(msgtype, content, (id) => this.mediaUrl(id)) });
  }

  /** The typing indicator the account switched on or off for the user. */
  showTyping(openId: string, on: boolean): void {
    this.hub.publish(openId, { type: 'typing', on });
  }

  /** The page's URL path of a media file; the file becomes readable through `readMedia`. */
  mediaUrl(mediaId: string): string {
    this.#knownMedia.delete(mediaId);
    this.#knownMedia.add(mediaId);
    if (this.#knownMedia.size > MAX_KNOWN_MEDIA) {
      const oldest = this.#knownMedia.values().next().value;
      if (oldest !== undefined) this.#knownMedia.delete(oldest);
    }
    return `${SIMULATOR_MEDIA_PATH}/${encodeURIComponent(mediaId)}`;
  }

  /** A media file the simulator showed, or undefined (unknown to the simulator, or gone from the store). */
  async readMedia(mediaId: string): Promise<MediaFile | undefined> {
    if (!this.#knownMedia.has(mediaId) || this.#options.media === undefined) return undefined;
    return this.#options.media.read(mediaId);
  }

  /** Stops deliveries in progress (their users are told) and waits for them. */
  async close(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled([...this.#inFlight]);
  }

  async #exchange(openId: string, messageId: string, delivery: SignedDelivery): Promise<void> {
    const { log } = this.#options;
    let exchange: WeChatExchange;
    try {
      exchange = await deliverLikeWeChat(this.#emulatorFor(delivery.url), delivery, {
        ...(this.#options.timeoutMs === undefined ? {} : { timeoutMs: this.#options.timeoutMs }),
        signal: this.#stop.signal,
        onAttempt: ({ number, status, ms }) => this.hub.publish(openId, { type: 'delivery', messageId, number, status, ms }),
      });
    } catch (error) {
      log.error({ err: error, messageId }, 'simulator: delivering a message failed');
      this.#end(openId, messageId, 'no-answer', 'the simulator could not deliver the message');
      return;
    }
    const { answer, deliveries } = exchange;
    log.debug({ messageId, deliveries: deliveries.map((each) => each.status) }, 'simulator: message delivered');
    if (answer === undefined) {
      if (this.#stop.signal.aborted) return this.#end(openId, messageId, 'stopped', 'the simulator stopped');
      const refused = deliveries.every((each) => each.status === 'refused');
      return this.#end(openId, messageId, 'no-answer', refused ? 'the callback refused the connection' : `no delivery got an answer (${deliveries.length} deliveries): WeChat gives up, the user sees nothing`);
    }
    if (answer.problem !== undefined || answer.signatureValid === false) {
      return this.#end(openId, messageId, 'unreadable', answer.problem ?? 'the reply\'s MsgSignature does not verify');
    }
    if (answer.reply !== undefined) {
      this.hub.publish(openId, { type: 'passive-reply', messageId, message: passiveReplyMessage(answer.reply, (id) => this.mediaUrl(id)) });
      return this.#end(openId, messageId, 'passive');
    }
    this.#end(openId, messageId, answer.body === 'success' ? 'success' : 'empty');
  }

  #end(openId: string, messageId: string, outcome: ExchangeOutcome, detail?: string): void {
    this.hub.publish(openId, { type: 'exchange-end', messageId, outcome, ...(detail === undefined ? {} : { detail }) });
  }

  /** The emulator for the callback URL (the address is known only once the server listens; it does not change). */
  #emulatorFor(callbackUrl: string): WeChatEmulator {
    const base = callbackUrl.split('?')[0]!;
    if (this.#emulator === undefined || this.#emulatorBase !== base) {
      this.#emulator = new WeChatEmulator(this.#options.credentials, base);
      this.#emulatorBase = base;
    }
    return this.#emulator;
  }
}
