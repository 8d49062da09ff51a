/**
 * What `/dashboard/data` answers: the snapshots of every live instance, one row per instance, and the figures of
 * the whole deployment — totals added up, rates from each instance's latest change (events ÷ seconds, added up),
 * and percentiles from the instances' recent histogram buckets added together (so p99 is the deployment's p99,
 * not an average of p99s).
 */
import { percentiles } from './histogram-quantile.js';
import type { CircuitState, InstanceSnapshot, TokenState } from './instance-snapshot.js';
import { labelsOf, sameBounds, type CounterName, type GaugeName, type HistogramName, type HistogramSummary, type SeriesValues } from './metric-summary.js';

export interface Percentiles {
  /** Seconds; null without observations. */
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

/** A count since the instances started and its rate over their latest change. */
export interface Tally {
  total: number;
  perSecond: number;
}

export interface ErrorRow {
  /** WeChat's errcode, or `transport` when no answer came. */
  errcode: string;
  /** The API (path without /cgi-bin/), for WeChat API errors. */
  api?: string;
  total: number;
  perSecond: number;
}

export interface DeploymentFigures {
  instances: number;
  /** User messages: first deliveries of authentic callbacks. */
  messages: Tally;
  /** WeChat's repeated deliveries (2nd and 3rd) of a message. */
  retries: Tally;
  /** Deliveries answered from the dedup store. */
  dedupHits: Tally;
  /** Callback requests refused before any handler ran, by HTTP status. */
  rejected: Tally & { byStatus: Record<string, number> };
  /** Answers being produced or delivered now. */
  inFlight: number;
  /** End-to-end answer latency over the latest change. */
  answerLatency: Percentiles;
  /** How answers reached users, by route. */
  routes: Array<{ route: string } & Tally>;
  ai: {
    calls: Tally;
    /** Calls by outcome (ok, error, timeout, circuit_open), totals. */
    outcomes: Record<string, number>;
    timeouts: number;
    retries: number;
    /** Calls streaming now, and calls waiting for a concurrency slot. */
    inFlight: number;
    queued: number;
    firstToken: Percentiles;
    duration: Percentiles;
    tokensIn: Tally;
    tokensOut: Tally;
  };
  /** WeChat API calls that did not succeed; customer-service messages of answers not sent (refused, or no answer). */
  errors: { wechatApi: ErrorRow[]; customerService: ErrorRow[] };
  /** The worst circuit state among the instances; null when none has a circuit breaker. */
  circuit: CircuitState | null;
  /** The largest event-loop lag (p99 where known) among the instances, seconds. */
  eventLoopLagSeconds: number;
  residentMemoryBytes: number;
  /** CPU seconds used per second, all instances together (1 = one core busy). */
  cpu: number;
}

export interface InstanceRow {
  instance: string;
  version: string;
  startedAt: number;
  uptimeSeconds: number;
  /** When its latest snapshot was taken, epoch ms. */
  lastSeenAt: number;
  demo: boolean;
  redis: boolean;
  ai: { provider: string; model: string | null };
  messages: Tally;
  inFlight: number;
  answerLatency: Percentiles;
  circuit: CircuitState | null;
  token: TokenState;
  eventLoopLagSeconds: number;
  residentMemoryBytes: number;
  cpu: number;
}

export interface DashboardData {
  /** The instance that answered this request. */
  servedBy: string;
  generatedAt: number;
  /** Set when part of the deployment could not be read (e.g. Redis unreachable: this instance only). */
  notice?: string;
  deployment: DeploymentFigures;
  rows: InstanceRow[];
  snapshots: InstanceSnapshot[];
}

const CIRCUIT_SEVERITY: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

export function dashboardView(snapshots: readonly InstanceSnapshot[], options: { servedBy: string; now: number; notice?: string }): DashboardData {
  const sorted = [...snapshots].sort((a, b) => a.startedAt - b.startedAt || a.instance.localeCompare(b.instance));
  return {
    servedBy: options.servedBy,
    generatedAt: options.now,
    ...(options.notice === undefined ? {} : { notice: options.notice }),
    deployment: deploymentFigures(sorted),
    rows: sorted.map(instanceRow),
    snapshots: sorted,
  };
}

/** A predicate on a series' labels. */
type LabelTest = (labels: Record<string, string>) => boolean;
const every: LabelTest = () => true;

function sumSeries(values: SeriesValues | undefined, test: LabelTest): number {
  let total = 0;
  for (const [key, value] of Object.entries(values ?? {})) if (test(labelsOf(key))) total += value;
  return total;
}

function tally(snapshots: readonly InstanceSnapshot[], name: CounterName, test: LabelTest = every): Tally {
  let total = 0;
  let perSecond = 0;
  for (const snapshot of snapshots) {
    total += sumSeries(snapshot.totals.counters[name], test);
    perSecond += sumSeries(snapshot.change.counters[name], test) / snapshot.change.seconds;
  }
  return { total, perSecond };
}

/**
 * Totals and rates per group of series: `groupOf` names a series' group from its labels, or leaves the series
 * out (undefined).
 */
function tallyGroups(snapshots: readonly InstanceSnapshot[], name: CounterName, groupOf: (labels: Record<string, string>) => string | undefined): Map<string, Tally> {
  const groups = new Map<string, Tally>();
  const add = (values: SeriesValues | undefined, field: keyof Tally, divisor: number) => {
    for (const [key, value] of Object.entries(values ?? {})) {
      const group = groupOf(labelsOf(key));
      if (group === undefined) continue;
      const entry = groups.get(group) ?? { total: 0, perSecond: 0 };
      entry[field] += value / divisor;
      groups.set(group, entry);
    }
  };
  for (const snapshot of snapshots) {
    add(snapshot.totals.counters[name], 'total', 1);
    add(snapshot.change.counters[name], 'perSecond', snapshot.change.seconds);
  }
  return groups;
}

function totalsBy(snapshots: readonly InstanceSnapshot[], name: CounterName, label: string): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const [value, { total }] of tallyGroups(snapshots, name, (labels) => labels[label])) totals[value] = total;
  return totals;
}

/** The instances' recent histograms added together (those whose bounds differ from the first are left out). */
function recentPercentiles(snapshots: readonly InstanceSnapshot[], name: HistogramName): Percentiles {
  let combined: HistogramSummary | undefined;
  for (const snapshot of snapshots) {
    const histogram = snapshot.change.histograms[name];
    if (!histogram) continue;
    if (!combined) combined = { ...histogram, cumulative: [...histogram.cumulative] };
    else if (sameBounds(combined.bounds, histogram.bounds)) {
      histogram.cumulative.forEach((value, index) => (combined!.cumulative[index]! += value));
      combined.count += histogram.count;
      combined.sum += histogram.sum;
    }
  }
  return combined ? percentiles(combined) : { p50: null, p90: null, p99: null };
}

function gauge(snapshot: InstanceSnapshot, name: GaugeName): number {
  return sumSeries(snapshot.totals.gauges[name], every);
}

function gaugeTotal(snapshots: readonly InstanceSnapshot[], name: GaugeName): number {
  return snapshots.reduce((total, snapshot) => total + gauge(snapshot, name), 0);
}

function eventLoopLag(snapshot: InstanceSnapshot): number {
  const p99 = snapshot.totals.gauges.nodejs_eventloop_lag_p99_seconds?.[''];
  return p99 ?? gauge(snapshot, 'nodejs_eventloop_lag_seconds');
}

function cpu(snapshot: InstanceSnapshot): number {
  return sumSeries(snapshot.change.counters.process_cpu_seconds_total, every) / snapshot.change.seconds;
}

const firstDelivery: LabelTest = (labels) => labels.delivery === '1';
const laterDelivery: LabelTest = (labels) => labels.delivery !== undefined && labels.delivery !== '1';

function deploymentFigures(snapshots: readonly InstanceSnapshot[]): DeploymentFigures {
  const circuits = snapshots.map((snapshot) => snapshot.circuit).filter((state): state is CircuitState => state !== null);
  return {
    instances: snapshots.length,
    messages: tally(snapshots, 'wx_callbacks_total', firstDelivery),
    retries: tally(snapshots, 'wx_callbacks_total', laterDelivery),
    dedupHits: tally(snapshots, 'wx_callbacks_total', (labels) => labels.outcome === 'dedup_hit'),
    rejected: { ...tally(snapshots, 'wx_callbacks_rejected_total'), byStatus: totalsBy(snapshots, 'wx_callbacks_rejected_total', 'status') },
    inFlight: gaugeTotal(snapshots, 'wx_answers_in_flight'),
    answerLatency: recentPercentiles(snapshots, 'wx_answer_latency_seconds'),
    routes: [...tallyGroups(snapshots, 'wx_deliveries_total', (labels) => labels.route)].map(([route, value]) => ({ route, ...value })).sort((a, b) => b.total - a.total),
    ai: {
      calls: tally(snapshots, 'wx_ai_calls_total'),
      outcomes: totalsBy(snapshots, 'wx_ai_calls_total', 'outcome'),
      timeouts: tally(snapshots, 'wx_ai_timeouts_total').total,
      retries: tally(snapshots, 'wx_ai_retries_total').total,
      inFlight: gaugeTotal(snapshots, 'wx_ai_calls_in_flight'),
      queued: gaugeTotal(snapshots, 'wx_ai_queue_depth'),
      firstToken: recentPercentiles(snapshots, 'wx_ai_time_to_first_token_seconds'),
      duration: recentPercentiles(snapshots, 'wx_ai_duration_seconds'),
      tokensIn: tally(snapshots, 'wx_ai_tokens_total', (labels) => labels.direction === 'in'),
      tokensOut: tally(snapshots, 'wx_ai_tokens_total', (labels) => labels.direction === 'out'),
    },
    errors: {
      wechatApi: errorRows(snapshots, 'wx_wechat_api_calls_total', (labels) => labels.errcode !== '0', true),
      // Refused (WeChat answered an errcode) and failed (no answer: errcode `transport`).
      customerService: errorRows(snapshots, 'wx_customer_service_messages_total', (labels) => labels.result !== 'sent', false),
    },
    circuit: circuits.length === 0 ? null : circuits.reduce((worst, state) => (CIRCUIT_SEVERITY[state] > CIRCUIT_SEVERITY[worst] ? state : worst)),
    eventLoopLagSeconds: Math.max(0, ...snapshots.map(eventLoopLag)),
    residentMemoryBytes: gaugeTotal(snapshots, 'process_resident_memory_bytes'),
    cpu: snapshots.reduce((total, snapshot) => total + cpu(snapshot), 0),
  };
}

/** Errors by errcode (and API, when `byApi`), most frequent first. */
function errorRows(snapshots: readonly InstanceSnapshot[], name: CounterName, isError: LabelTest, byApi: boolean): ErrorRow[] {
  const groups = tallyGroups(snapshots, name, (labels) => (isError(labels) ? JSON.stringify([labels.errcode ?? '', byApi ? (labels.api ?? '') : null]) : undefined));
  return [...groups]
    .map(([group, value]) => {
      const [errcode, api] = JSON.parse(group) as [string, string | null];
      return { errcode, ...(api === null ? {} : { api }), ...value };
    })
    .sort((a, b) => b.total - a.total);
}

function instanceRow(snapshot: InstanceSnapshot): InstanceRow {
  return {
    instance: snapshot.instance,
    version: snapshot.version,
    startedAt: snapshot.startedAt,
    uptimeSeconds: snapshot.uptimeSeconds,
    lastSeenAt: snapshot.takenAt,
    demo: snapshot.demo,
    redis: snapshot.redis,
    ai: snapshot.ai,
    messages: tally([snapshot], 'wx_callbacks_total', firstDelivery),
    inFlight: gauge(snapshot, 'wx_answers_in_flight'),
    answerLatency: recentPercentiles([snapshot], 'wx_answer_latency_seconds'),
    circuit: snapshot.circuit,
    token: snapshot.token,
    eventLoopLagSeconds: eventLoopLag(snapshot),
    residentMemoryBytes: gauge(snapshot, 'process_resident_memory_bytes'),
    cpu: cpu(snapshot),
  };
}
