/**
 * How each message was answered, recorded in one place: the callback deliveries (`wx_callbacks_total`), the
 * answers that reached users (`wx_deliveries_total`, `wx_answer_latency_seconds`), and the message's one INFO log
 * line when it is answered — `message answered` with its id (`messageKey`), type, route and latency in ms, never
 * its content. The content (the user's message and the answer) is only on a DEBUG line of the same messageKey.
 *
 * Every message passes here on the callback's hot path, so the counters are cells kept per message type and route
 * (plain additions, no label lookups: see metrics/metrics.ts). Without metrics (parts built alone in tests) only
 * the log lines are written.
 */
import type { Logger } from 'pino';
import type { CounterCell, DeliveryRoute, Metrics } from '../metrics/metrics.js';
import type { InboundMessage } from '../wechat/message/types.js';

/** How a message was answered: a delivery route, or `no_reply` (answered with `success`: nothing to say, or nothing in time). */
export type AnswerRoute = DeliveryRoute | 'no_reply';

const ROUTES: readonly DeliveryRoute[] = ['passive', 'passive_on_retry', 'customer_service', 'placeholder', 'pickup_served', 'link'];

/** The callback counters of one message type: answered by delivery number (index 1–3; 0 = later), and dedup hits. */
interface TypeCells {
  answered: [CounterCell, CounterCell, CounterCell, CounterCell];
  dedupHit: CounterCell;
}

/** The counters of one delivery route. */
interface RouteCounters {
  delivered: CounterCell;
  latency: { observe(seconds: number): void } | undefined;
}

const NOT_COUNTED: CounterCell = { inc() {} };

export interface DeliveryRecorderOptions {
  log: Logger;
  metrics?: Metrics;
}

export class DeliveryRecorder {
  readonly #log: Logger;
  /** The logger of the `message answered` line (see the constructor). */
  readonly #lineLog: Logger;
  readonly #metrics: Metrics | undefined;
  readonly #types = new Map<string, TypeCells>();
  readonly #routes: Record<DeliveryRoute, RouteCounters>;

  constructor(options: DeliveryRecorderOptions) {
    this.#log = options.log;
    // The INFO line carries only fields made here (id, type, route, outcome, latency), so pino's key-based
    // redaction is off for it: its wildcard paths (`*.token`, …) measured ~30 µs a line, more than a whole callback
    // takes. The value-based safety net — the logger's `streamWrite` hook, hiding every secret value — still runs.
    this.#lineLog = options.log.child({}, { redact: { paths: [] } });
    this.#metrics = options.metrics;
    const metrics = options.metrics;
    this.#routes = Object.fromEntries(
      ROUTES.map((route): [DeliveryRoute, RouteCounters] => [route, { delivered: metrics ? metrics.deliveries.cell({ route }) : NOT_COUNTED, latency: metrics?.answerLatency.labels(route) }]),
    ) as Record<DeliveryRoute, RouteCounters>;
  }

  /**
   * One authentic delivery of `message`: `delivery` is its number (1 the first, 2 and 3 WeChat's retries; 0 when
   * not known: a dedup hit).
   */
  callback(message: InboundMessage, delivery: number, outcome: 'answered' | 'dedup_hit'): void {
    const cells = this.#typeCells(message);
    if (outcome === 'dedup_hit') cells.dedupHit.inc();
    else cells.answered[delivery >= 1 && delivery <= 3 ? delivery : 0]!.inc();
  }

  /**
   * `message` was answered by `route`, `latencyMs` after its first delivery arrived. `answer` is what the user got
   * — the answer's text, or the passive reply's XML — logged at DEBUG only; `outcome` qualifies the route (a
   * customer-service delivery `refused` part-way).
   */
  answered(message: InboundMessage, messageKey: string, route: AnswerRoute, latencyMs: number, answer?: string, outcome?: 'refused'): void {
    // A customer-service delivery WeChat refused part-way left the rest for pickup: logged, not counted as delivered.
    if (route !== 'no_reply' && outcome === undefined) {
      const counters = this.#routes[route];
      counters.delivered.inc();
      counters.latency?.observe(Math.max(0, latencyMs) / 1000);
    }
    const log = this.#lineLog;
    if (!log.isLevelEnabled('info')) return;
    const type = messageType(message);
    const latency = Math.round(latencyMs);
    if (outcome === undefined) log.info({ messageKey, type, route, latencyMs: latency }, 'message answered');
    else log.info({ messageKey, type, route, outcome, latencyMs: latency }, 'message answered');
    if (log.isLevelEnabled('debug')) this.#log.debug({ messageKey, content: contentOf(message), answer }, 'message content');
  }

  #typeCells(message: InboundMessage): TypeCells {
    const type = messageType(message);
    let cells = this.#types.get(type);
    if (cells === undefined) {
      const metrics = this.#metrics;
      const cell = (delivery: string, outcome: string): CounterCell => (metrics ? metrics.callbacks.cell({ type, delivery, outcome }) : NOT_COUNTED);
      cells = { answered: [cell('retry', 'answered'), cell('1', 'answered'), cell('2', 'answered'), cell('3', 'answered')], dedupHit: cell('retry', 'dedup_hit') };
      this.#types.set(type, cells);
    }
    return cells;
  }
}

/**
 * The `type` label and log field: `MsgType`, or `event:<Event>` for events (WeChat's own spelling). Unrecognised
 * types and events are `other` and `event:other`, so the label's values stay a bounded set.
 */
export function messageType(message: InboundMessage): string {
  switch (message.kind) {
    case 'text':
    case 'image':
    case 'voice':
    case 'location':
    case 'link':
      return message.kind;
    case 'video':
      return 'video';
    case 'shortvideo':
      return 'shortvideo';
    case 'subscribe':
      return 'event:subscribe';
    case 'unsubscribe':
      return 'event:unsubscribe';
    case 'scan':
      return 'event:SCAN';
    case 'location-event':
      return 'event:LOCATION';
    case 'click':
      return 'event:CLICK';
    case 'view':
      return 'event:VIEW';
    case 'template-send-job-finish':
      return 'event:TEMPLATESENDJOBFINISH';
    case 'unknown-event':
      return 'event:other';
    case 'unknown':
      return 'other';
  }
}

/** What the user sent, for the DEBUG line. */
function contentOf(message: InboundMessage): string | undefined {
  switch (message.kind) {
    case 'text':
      return message.content;
    case 'voice':
      return message.recognition;
    case 'image':
      return message.picUrl;
    case 'link':
      return `${message.title} ${message.url}`;
    case 'location':
      return message.label;
    case 'unknown':
      return undefined;
    default:
      return 'eventKey' in message ? message.eventKey : undefined;
  }
}
