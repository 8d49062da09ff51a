/**
 * The Prometheus metrics of one wx-backend instance: every family is declared here, once, with its labels, so
 * `/metrics`, the dashboard and the code that counts agree on names. Each instance (each `startServer`) has its
 * own registry — tests run several instances in one process — plus Node's default process metrics
 * (`process_*`, `nodejs_*`, among them `nodejs_eventloop_lag_seconds`).
 *
 * Counting is cheap but not free on the callback's hot path: prom-client joins and hashes the label values on every
 * `inc`, even through a label child (~0.4 µs each, measured). So the counters the hot path uses (`callbacks`,
 * `deliveries`) hand out *cells* (`cell(labels)`): a cell's `inc()` adds to a plain number, and the counter takes
 * the sums whenever the registry is read (`/metrics`, the dashboard). Keep a cell per label set and reuse it.
 *
 * Values that are states rather than events (the access token's age, the AI circuit, the answer queue) are read
 * when the registry is read, from the sources `watchAccessToken`, `watchAiService` and `watchAnswerQueue` are given.
 *
 * Label values are bounded sets (message types, routes, errcodes, provider/model names from the configuration);
 * never an openid, a message id or any content.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type LabelValues } from 'prom-client';
import type { AnswerQueueStats } from '../jobs/answer-queue.js';

/** Seconds; from a fast passive reply (ms) to a long customer-service stream (minutes). */
const ANSWER_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4.5, 5, 10, 15, 30, 60, 120, 300, 600];
/** Seconds; a model's first token or whole answer. */
const MODEL_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4.5, 7.5, 10, 15, 30, 60, 120, 300, 600];
/** Seconds; a Redis round trip on a LAN. */
const REDIS_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** How a delivered answer reached the user (`wx_deliveries_total{route}`). */
export type DeliveryRoute = 'passive' | 'passive_on_retry' | 'customer_service' | 'placeholder' | 'pickup_served' | 'link';

/** `wx_ai_circuit_state` values. */
export const CIRCUIT_STATE = { closed: 0, half_open: 1, open: 2 } as const;

/** One label set of a counter, for the hot path: `inc()` is a plain addition (see the module comment). */
export interface CounterCell {
  inc(): void;
}

/** A counter whose label sets can also be counted through cells; what the cells count joins it when it is read. */
export class CellCounter<Label extends string> extends Counter<Label> {
  readonly #cells: Array<{ labels: LabelValues<Label>; pending: number }> = [];

  /** A new cell for `labels`; its series shows (at 0) from now on. */
  cell(labels: LabelValues<Label>): CounterCell {
    this.inc(labels, 0);
    const entry = {
      labels,
      pending: 0,
      inc() {
        this.pending += 1;
      },
    };
    this.#cells.push(entry);
    return entry;
  }

  override async get(): ReturnType<Counter<Label>['get']> {
    for (const cell of this.#cells) {
      if (cell.pending === 0) continue;
      const pending = cell.pending;
      cell.pending = 0;
      this.inc(cell.labels, pending);
    }
    return super.get();
  }
}

/** What `wx_access_token_*` are read from: the token this instance uses now (epoch ms), or undefined without one. */
export type AccessTokenTimes = () => Promise<{ obtainedAt?: number; expiresAt?: number } | undefined>;

/** What the AI gauges are read from: the resilience policy's state (see ai/resilience.ts). */
export type AiServiceState = () => { circuit: 'closed' | 'half-open' | 'open'; inFlight: number; queued: number };

/** What the `wx_answer_jobs_*` gauges are read from: the answer queue's stats (see jobs/answer-queue.ts). */
export type AnswerQueueState = () => Promise<AnswerQueueStats>;

export function createMetrics(options: { instance: string; version: string; defaultMetrics?: boolean }) {
  const registry = new Registry();
  registry.setDefaultLabels({ instance: options.instance });
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let accessTokenTimes: AccessTokenTimes | undefined;
  const aiServices = new Map<string, AiServiceState>();
  let answerQueueState: AnswerQueueState | undefined;
  let answerQueueRead: Promise<AnswerQueueStats | undefined> | undefined;

  /** The token's times now; undefined without a source or a token, or when the store cannot be read. */
  const tokenTimes = async (): Promise<{ obtainedAt?: number; expiresAt?: number } | undefined> => {
    try {
      return await accessTokenTimes?.();
    } catch {
      return undefined;
    }
  };
  /**
   * The answer queue's stats, read once per registry read: the gauges' collects start together and share the read
   * (for the Redis queue it is a round trip). Undefined without a source or when it fails (Redis down): the gauges
   * then keep their last values, and /metrics still answers.
   */
  const readAnswerQueue = (): Promise<AnswerQueueStats | undefined> => {
    answerQueueRead ??= (async () => {
      try {
        return await answerQueueState?.();
      } catch {
        return undefined;
      } finally {
        answerQueueRead = undefined;
      }
    })();
    return answerQueueRead;
  };
  /** Sets an answer-queue gauge from the stats, when they could be read. */
  const collectAnswerQueue = async (gauge: Gauge, value: (stats: AnswerQueueStats) => number): Promise<void> => {
    const stats = await readAnswerQueue();
    if (stats !== undefined) gauge.set(value(stats));
  };
  /** Sets a per-provider AI gauge from every watched service's state. */
  const collectAi = (gauge: Gauge<'provider'>, value: (state: ReturnType<AiServiceState>) => number): void => {
    for (const [provider, state] of aiServices) gauge.set({ provider }, value(state()));
  };

  const info = new Gauge({ name: 'wx_build_info', help: 'Always 1; labels say which wx-backend version runs.', labelNames: ['version'] as const, registers });
  info.set({ version: options.version }, 1);

  return {
    registry,
    instance: options.instance,

    /**
     * The access token this instance uses, for `wx_access_token_age_seconds` and `…_expires_in_seconds` (both 0
     * while there is none). Read whenever the registry is read; a failing read counts as no token.
     */
    watchAccessToken(times: AccessTokenTimes): void {
      accessTokenTimes = times;
    },

    /** The AI service's resilience state, for `wx_ai_circuit_state`, `wx_ai_calls_in_flight` and `wx_ai_queue_depth`. */
    watchAiService(provider: string, state: AiServiceState): void {
      aiServices.set(provider, state);
    },

    /**
     * The answer queue, for `wx_answer_jobs_waiting`, `…_active`, `…_failed`, `…_oldest_waiting_seconds` and
     * `…_stalled_total`. Read whenever the registry is read; a failing read leaves the gauges as they were.
     */
    watchAnswerQueue(state: AnswerQueueState): void {
      answerQueueState = state;
    },

    info,

    // ---- the callback -------------------------------------------------------------------------------------------
    callbacks: new CellCounter({
      name: 'wx_callbacks_total',
      help: 'Authentic callback deliveries by message type (MsgType, or event:<Event>), delivery number (1-3; "retry" for a dedup hit, whose number is not kept) and outcome (answered: this delivery ran the handler or waited for it; dedup_hit: the answer was already stored).',
      labelNames: ['type', 'delivery', 'outcome'] as const,
      registers,
    }),
    callbacksRejected: new Counter({
      name: 'wx_callbacks_rejected_total',
      help: 'Callback requests refused before any handler ran, by HTTP status (400 bad input, 403 signature or timestamp, 413 too large, 503 shutting down).',
      labelNames: ['status'] as const,
      registers,
    }),
    answerLatency: new Histogram({
      name: 'wx_answer_latency_seconds',
      help: "End to end: from the first delivery's arrival until the answer reached the user, by delivery route.",
      labelNames: ['route'] as const,
      buckets: ANSWER_BUCKETS,
      registers,
    }),
    deliveries: new CellCounter({
      name: 'wx_deliveries_total',
      help: 'Answers delivered by route: passive (first delivery), passive_on_retry, customer_service, placeholder (pickup announced), pickup_served, link (a long answer linked at /a/:id).',
      labelNames: ['route'] as const,
      registers,
    }),
    answersInFlight: new Gauge({ name: 'wx_answers_in_flight', help: "AI answers being produced right now (from the message's arrival until the model's answer is complete).", registers }),

    // ---- the WeChat API -----------------------------------------------------------------------------------------
    customerServiceMessages: new Counter({
      name: 'wx_customer_service_messages_total',
      help: 'Customer-service messages of answers by result (sent; refused: WeChat answered an errcode; failed: no answer, errcode "transport") and WeChat errcode (0 when sent).',
      labelNames: ['result', 'errcode'] as const,
      registers,
    }),
    wechatApiCalls: new Counter({
      name: 'wx_wechat_api_calls_total',
      help: 'WeChat API calls by API (path without /cgi-bin/) and errcode (0 = success; "transport" = no answer).',
      labelNames: ['api', 'errcode'] as const,
      registers,
    }),
    tokenRefreshes: new Counter({
      name: 'wx_access_token_refreshes_total',
      help: 'Access-token fetches from WeChat by result (ok, error).',
      labelNames: ['result'] as const,
      registers,
    }),
    tokenAge: new Gauge({
      name: 'wx_access_token_age_seconds',
      help: 'Age of the access token this instance uses now (0 while there is none).',
      registers,
      async collect() {
        const times = await tokenTimes();
        this.set(times?.obtainedAt === undefined ? 0 : Math.max(0, (Date.now() - times.obtainedAt) / 1000));
      },
    }),
    tokenExpiresIn: new Gauge({
      name: 'wx_access_token_expires_in_seconds',
      help: 'Seconds until the access token this instance uses expires (0 while there is none).',
      registers,
      async collect() {
        const times = await tokenTimes();
        this.set(times?.expiresAt === undefined ? 0 : Math.max(0, (times.expiresAt - Date.now()) / 1000));
      },
    }),

    // ---- the AI service -----------------------------------------------------------------------------------------
    aiCalls: new Counter({
      name: 'wx_ai_calls_total',
      help: 'AI calls by provider, model and outcome (ok, error, timeout, circuit_open, queue_full).',
      labelNames: ['provider', 'model', 'outcome'] as const,
      registers,
    }),
    aiFirstToken: new Histogram({
      name: 'wx_ai_time_to_first_token_seconds',
      help: 'From the start of an AI call to its first streamed text.',
      labelNames: ['provider', 'model'] as const,
      buckets: MODEL_BUCKETS,
      registers,
    }),
    aiDuration: new Histogram({
      name: 'wx_ai_duration_seconds',
      help: 'Whole AI calls (retries included), by outcome.',
      labelNames: ['provider', 'model', 'outcome'] as const,
      buckets: MODEL_BUCKETS,
      registers,
    }),
    aiTokens: new Counter({
      name: 'wx_ai_tokens_total',
      help: "Tokens by provider, model and direction (in = prompt, out = completion), as the provider's usage reports them.",
      labelNames: ['provider', 'model', 'direction'] as const,
      registers,
    }),
    aiTimeouts: new Counter({ name: 'wx_ai_timeouts_total', help: 'AI calls that ran out of EXTERNAL_SERVICE_TIMEOUT.', labelNames: ['provider', 'model'] as const, registers }),
    aiRetries: new Counter({ name: 'wx_ai_retries_total', help: 'AI call attempts repeated after a retryable error.', labelNames: ['provider', 'model'] as const, registers }),
    limitRejections: new Counter({
      name: 'wx_limit_rejections_total',
      help: 'Messages answered with the limit message instead of the AI: rate (RATE_LIMIT_PER_MINUTE), user_budget (USER_DAILY_TOKEN_BUDGET), account_budget (ACCOUNT_DAILY_TOKEN_BUDGET).',
      labelNames: ['limit'] as const,
      registers,
    }),
    aiCircuitState: new Gauge({
      name: 'wx_ai_circuit_state',
      help: "The AI service's circuit breaker: 0 closed, 1 half-open (the cool-down is over: one probe call), 2 open (calls fail fast).",
      labelNames: ['provider'] as const,
      registers,
      collect() {
        collectAi(this, (state) => CIRCUIT_STATE[state.circuit === 'half-open' ? 'half_open' : state.circuit]);
      },
    }),
    aiInFlight: new Gauge({
      name: 'wx_ai_calls_in_flight',
      help: 'AI calls streaming now (bounded by the concurrency limit).',
      labelNames: ['provider'] as const,
      registers,
      collect() {
        collectAi(this, (state) => state.inFlight);
      },
    }),
    aiQueueDepth: new Gauge({
      name: 'wx_ai_queue_depth',
      help: 'AI calls waiting for a concurrency slot.',
      labelNames: ['provider'] as const,
      registers,
      collect() {
        collectAi(this, (state) => state.queued);
      },
    }),

    // ---- content safety (guard/safety/) -------------------------------------------------------------------------
    contentBlocked: new Counter({
      name: 'wx_content_blocked_total',
      help: 'Messages (incoming) and answers (outgoing) that content safety blocked or masked, once each: by a CONTENT_FILTER_FILE word, a flagged moderation, or a failed moderation with MODERATION_ON_ERROR=block.',
      labelNames: ['direction', 'action'] as const,
      registers,
    }),
    moderationChecks: new Counter({
      name: 'wx_moderation_checks_total',
      help: 'Calls to the moderation endpoint (MODERATION_URL) by result: passed, flagged, error (no usable answer: MODERATION_ON_ERROR applied).',
      labelNames: ['result'] as const,
      registers,
    }),

    // ---- the answer queue (jobs/) -------------------------------------------------------------------------------
    answerJobsWaiting: new Gauge({
      name: 'wx_answer_jobs_waiting',
      help: "AI answer jobs waiting for a worker, or behind an earlier job of the same user (the whole deployment's with Redis).",
      registers,
      async collect() {
        await collectAnswerQueue(this, (stats) => stats.waiting);
      },
    }),
    answerJobsActive: new Gauge({
      name: 'wx_answer_jobs_active',
      help: 'AI answer jobs running now (on any instance, with Redis).',
      registers,
      async collect() {
        await collectAnswerQueue(this, (stats) => stats.active);
      },
    }),
    answerJobsFailed: new Gauge({
      name: 'wx_answer_jobs_failed',
      help: 'Failed AI answer jobs: with Redis those kept for inspection (a day, at most 1000); without, every one since start.',
      registers,
      async collect() {
        await collectAnswerQueue(this, (stats) => stats.failed);
      },
    }),
    answerJobsOldestWaiting: new Gauge({
      name: 'wx_answer_jobs_oldest_waiting_seconds',
      help: 'Age of the oldest waiting AI answer job (0 when none waits).',
      registers,
      async collect() {
        await collectAnswerQueue(this, (stats) => stats.oldestWaitingMs / 1000);
      },
    }),
    answerJobsStalled: new Gauge({
      name: 'wx_answer_jobs_stalled_total',
      help: "AI answer jobs this instance's worker took over after their instance stopped renewing their lock, since start (only grows; Redis only).",
      registers,
      async collect() {
        await collectAnswerQueue(this, (stats) => stats.stalled);
      },
    }),

    // ---- Redis --------------------------------------------------------------------------------------------------
    redisLatency: new Histogram({
      name: 'wx_redis_latency_seconds',
      help: 'Round trip of a PING to Redis, measured every few seconds.',
      buckets: REDIS_BUCKETS,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
