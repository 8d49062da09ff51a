/**
 * A compact summary of the metric families the dashboard shows, read from a prom-client registry's JSON
 * (`registry.getMetricsAsJSON()`): counters and gauges as values per label set, histograms as cumulative bucket
 * counts with their sum and count (label sets added together). It is what an instance publishes every couple of
 * seconds, so it keeps only those families, and only their label values — which are bounded sets by the
 * metrics' own rule (types, routes, errcodes, provider and model names), never an openid or any content.
 */
import type { HistogramCounts } from './histogram-quantile.js';

/** The families the dashboard reads, by kind. A family missing from the registry is simply left out. */
export const DASHBOARD_FAMILIES = {
  counters: [
    'wx_callbacks_total',
    'wx_callbacks_rejected_total',
    'wx_deliveries_total',
    'wx_customer_service_messages_total',
    'wx_wechat_api_calls_total',
    'wx_access_token_refreshes_total',
    'wx_ai_calls_total',
    'wx_ai_tokens_total',
    'wx_ai_timeouts_total',
    'wx_ai_retries_total',
    'process_cpu_seconds_total',
  ],
  gauges: [
    'wx_build_info',
    'wx_answers_in_flight',
    'wx_ai_circuit_state',
    'wx_ai_calls_in_flight',
    'wx_ai_queue_depth',
    'wx_access_token_age_seconds',
    'wx_access_token_expires_in_seconds',
    'nodejs_eventloop_lag_seconds',
    'nodejs_eventloop_lag_p99_seconds',
    'process_resident_memory_bytes',
    'nodejs_heap_size_used_bytes',
  ],
  histograms: ['wx_answer_latency_seconds', 'wx_ai_time_to_first_token_seconds', 'wx_ai_duration_seconds', 'wx_redis_latency_seconds'],
} as const;

export type CounterName = (typeof DASHBOARD_FAMILIES.counters)[number];
export type GaugeName = (typeof DASHBOARD_FAMILIES.gauges)[number];
export type HistogramName = (typeof DASHBOARD_FAMILIES.histograms)[number];

/** A histogram's counts plus the sum of its observations. */
export interface HistogramSummary extends HistogramCounts {
  sum: number;
}

/** Values per label set; the key is the label set as `name=value` pairs (see `labelKey`), `''` without labels. */
export type SeriesValues = Record<string, number>;

export interface MetricSummary {
  counters: Partial<Record<CounterName, SeriesValues>>;
  gauges: Partial<Record<GaugeName, SeriesValues>>;
  histograms: Partial<Record<HistogramName, HistogramSummary>>;
}

/** The counters and histograms that changed between two summaries of one instance. */
export type MetricChange = Pick<MetricSummary, 'counters' | 'histograms'>;

/** One family as `getMetricsAsJSON()` gives it (the part this module reads). */
export interface MetricFamilyJson {
  name: string;
  values: ReadonlyArray<{ value: number; labels: Readonly<Record<string, string | number | undefined>>; metricName?: string }>;
}

/** Labels every series carries or that are part of a histogram's structure, not of what it measures. */
const IGNORED_LABELS = new Set(['instance', 'le']);

/**
 * A label set as a stable key: `name=value` pairs sorted by name and joined by `,`, values URI-encoded so that
 * a `,` or `=` inside one cannot be mistaken for a separator.
 */
export function labelKey(labels: Readonly<Record<string, string | number | undefined>>): string {
  return Object.keys(labels)
    .filter((name) => !IGNORED_LABELS.has(name) && labels[name] !== undefined)
    .sort()
    .map((name) => `${name}=${encodeURIComponent(String(labels[name]))}`)
    .join(',');
}

/** The labels of a `labelKey`. */
export function labelsOf(key: string): Record<string, string> {
  const labels: Record<string, string> = {};
  if (key === '') return labels;
  for (const pair of key.split(',')) {
    const equals = pair.indexOf('=');
    labels[pair.slice(0, equals)] = decodeURIComponent(pair.slice(equals + 1));
  }
  return labels;
}

export function summarizeMetrics(families: readonly MetricFamilyJson[]): MetricSummary {
  const byName = new Map(families.map((family) => [family.name, family]));
  const summary: MetricSummary = { counters: {}, gauges: {}, histograms: {} };
  for (const name of DASHBOARD_FAMILIES.counters) {
    const family = byName.get(name);
    if (family) summary.counters[name] = seriesValues(family);
  }
  for (const name of DASHBOARD_FAMILIES.gauges) {
    const family = byName.get(name);
    if (family) summary.gauges[name] = seriesValues(family);
  }
  for (const name of DASHBOARD_FAMILIES.histograms) {
    const family = byName.get(name);
    if (family) summary.histograms[name] = histogramSummary(family);
  }
  return summary;
}

function seriesValues(family: MetricFamilyJson): SeriesValues {
  const values: SeriesValues = {};
  for (const { value, labels } of family.values) {
    // Node's default metrics report null for a statistic they have no sample for yet.
    if (typeof value === 'number' && Number.isFinite(value)) values[labelKey(labels)] = value;
  }
  return values;
}

/** Every label set's buckets added together (label sets of one family share its bounds). */
function histogramSummary(family: MetricFamilyJson): HistogramSummary {
  const byBound = new Map<number, number>();
  let sum = 0;
  let count = 0;
  for (const { value, labels, metricName } of family.values) {
    if (metricName === `${family.name}_sum`) sum += value;
    else if (metricName === `${family.name}_count`) count += value;
    else if (metricName === `${family.name}_bucket` && labels.le !== '+Inf') {
      const bound = Number(labels.le);
      if (Number.isFinite(bound)) byBound.set(bound, (byBound.get(bound) ?? 0) + value);
    }
  }
  const bounds = [...byBound.keys()].sort((a, b) => a - b);
  return { bounds, cumulative: bounds.map((bound) => byBound.get(bound)!), sum, count };
}

/**
 * What happened between two summaries of one instance: each counter series' increase and each histogram's
 * added observations. A series absent before started at zero (prom-client shows a labelled series from its
 * first increment). A decrease cannot happen within one process; it is taken as zero rather than shown as a
 * negative rate.
 */
export function metricChange(current: MetricSummary, previous: MetricSummary | undefined): MetricChange {
  const change: MetricChange = { counters: {}, histograms: {} };
  for (const name of Object.keys(current.counters) as CounterName[]) {
    const now = current.counters[name]!;
    const before = previous?.counters[name] ?? {};
    const increases: SeriesValues = {};
    for (const [key, value] of Object.entries(now)) {
      const increase = value - (before[key] ?? 0);
      if (increase > 0) increases[key] = increase;
    }
    change.counters[name] = increases;
  }
  for (const name of Object.keys(current.histograms) as HistogramName[]) {
    const now = current.histograms[name]!;
    const before = previous?.histograms[name];
    change.histograms[name] = before && sameBounds(before.bounds, now.bounds) ? histogramDifference(now, before) : now;
  }
  return change;
}

function histogramDifference(now: HistogramSummary, before: HistogramSummary): HistogramSummary {
  return {
    bounds: now.bounds,
    cumulative: now.cumulative.map((value, index) => Math.max(0, value - (before.cumulative[index] ?? 0))),
    sum: Math.max(0, now.sum - before.sum),
    count: Math.max(0, now.count - before.count),
  };
}

export function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((bound, index) => bound === b[index]);
}
