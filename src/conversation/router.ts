/**
 * A small message router: the pipeline between a parsed inbound message and its reply.
 *
 * Handlers run in registration order. A handler whose matcher fits the message is called with `next`; it
 * returns a reply, returns `undefined` for "no reply" (WeChat then gets `success`), or calls `next()` to let
 * later handlers answer (and may change what they return). A message no handler answers gets no reply.
 * `next(context)` hands later handlers a different context instead — e.g. a menu click turned into the text
 * message it stands for; they are then matched against, and see, that context's message.
 *
 * ```ts
 * router
 *   .event('subscribe', () => ({ type: 'text', content: 'Welcome!' }))
 *   .text(/^help$/i, () => ({ type: 'text', content: 'Send any question.' }))
 *   .use(async (context, next) => (await next()) ?? { type: 'text', content: 'Sorry?' });
 * ```
 */
import type { Logger } from 'pino';
import type { InboundMessage, MessageKind } from '../wechat/message/types.js';
import type { Reply } from '../wechat/reply/types.js';
import type { QueuedAnswer } from './delivery-result.js';

/**
 * How a handler's ready reply reaches the user, when it is not an ordinary passive answer (a pickup page): read
 * for the metrics and the message's log line. One object per message, shared by replacement contexts.
 */
export interface DeliveryNote {
  route?: 'pickup_served';
}

export interface HandlerContext {
  message: InboundMessage;
  /** The account's appid. */
  appId: string;
  /** Stable id of this message across WeChat's retries (its dedup key); carried by every log line. */
  messageKey: string;
  log: Logger;
  /** Set by the dispatcher; a handler notes an unusual route here (see `DeliveryNote`). */
  delivery?: DeliveryNote;
}

/** A ready reply, a queued answer (AI: produced and delivered by a job), or undefined for none. */
export type HandlerResult = Reply | QueuedAnswer | undefined;
/** Runs the later handlers with `context` (default: the current one). */
export type Next = (context?: HandlerContext) => HandlerResult | Promise<HandlerResult>;
export type Handler = (context: HandlerContext, next: Next) => HandlerResult | Promise<HandlerResult>;

/** What a message must look like for a handler to run; every given field must match. */
export interface MessageMatcher {
  kind?: MessageKind | MessageKind[];
  /** Wire `MsgType`, e.g. `text`, `event`. */
  msgType?: string;
  /** Wire `Event`, compared case-insensitively (WeChat sends `subscribe` but `SCAN`). */
  event?: string;
  /** `EventKey`: exact string or pattern. */
  eventKey?: string | RegExp;
  /** Text `Content`: exact string (after trimming) or pattern. Only text messages match. */
  content?: string | RegExp;
}

export type Matcher = MessageMatcher | ((message: InboundMessage) => boolean);

interface Route {
  matches: (message: InboundMessage) => boolean;
  handler: Handler;
}

const always = (): boolean => true;

function compileMatcher(matcher: Matcher): (message: InboundMessage) => boolean {
  if (typeof matcher === 'function') return matcher;
  const kinds = matcher.kind === undefined ? undefined : new Set(Array.isArray(matcher.kind) ? matcher.kind : [matcher.kind]);
  const event = matcher.event?.toLowerCase();
  const { msgType, eventKey, content } = matcher;
  return (message) => {
    if (kinds && !kinds.has(message.kind)) return false;
    if (msgType !== undefined && message.msgType !== msgType) return false;
    if (event !== undefined || eventKey !== undefined) {
      if (!('event' in message)) return false;
      if (event !== undefined && message.event.toLowerCase() !== event) return false;
      if (eventKey !== undefined && !matchText(eventKey, message.eventKey)) return false;
    }
    if (content !== undefined && (message.kind !== 'text' || !matchText(content, message.content.trim()))) return false;
    return true;
  };
}

function matchText(pattern: string | RegExp, value: string): boolean {
  if (typeof pattern === 'string') return pattern === value;
  pattern.lastIndex = 0; // a /g or /y pattern keeps state between calls
  return pattern.test(value);
}

export class Router {
  readonly #routes: Route[] = [];

  /** Runs `handler` for every message. */
  use(handler: Handler): this {
    return this.on(always, handler);
  }

  on(matcher: Matcher, handler: Handler): this {
    this.#routes.push({ matches: compileMatcher(matcher), handler });
    return this;
  }

  /** Text messages whose content equals `content` (trimmed) or matches it; any text message when omitted. */
  text(content: string | RegExp | undefined, handler: Handler): this {
    return this.on(content === undefined ? { kind: 'text' } : { kind: 'text', content }, handler);
  }

  /** Events by wire name (`subscribe`, `CLICK`, …), optionally by `EventKey`. */
  event(event: string, handler: Handler, eventKey?: string | RegExp): this {
    return this.on(eventKey === undefined ? { event } : { event, eventKey }, handler);
  }

  /** Menu clicks on `key`. */
  click(key: string | RegExp, handler: Handler): this {
    return this.event('CLICK', handler, key);
  }

  /**
   * Runs the chain for one message. The result is a value when every handler that ran answered synchronously
   * (the hot path allocates no promise then), else a promise; a handler's throw comes back as a rejected promise
   * either way, so `await router.handle(…)` is always right.
   */
  handle(context: HandlerContext): HandlerResult | Promise<HandlerResult> {
    const routes = this.#routes;
    const dispatch = (from: number, current: HandlerContext): HandlerResult | Promise<HandlerResult> => {
      for (let index = from; index < routes.length; index++) {
        const route = routes[index]!;
        if (route.matches(current.message)) return route.handler(current, (replacement) => dispatch(index + 1, replacement ?? current));
      }
      return undefined;
    };
    try {
      return dispatch(0, context);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
