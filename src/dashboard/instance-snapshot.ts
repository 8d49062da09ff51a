/**
 * One instance's dashboard snapshot: who it is (id, version, start, demo/Redis flags, AI provider and model),
 * its state (circuit, access token), its metric totals since it started, and what changed since its previous
 * snapshot — from which rates and recent percentiles are computed. Instances publish it every couple of seconds;
 * the dashboard combines the snapshots of every live instance. It carries no secret: no token, key, URL or
 * configuration value beyond the provider's type and model name.
 */
import { CIRCUIT_STATE } from '../metrics/metrics.js';
import { labelsOf, metricChange, type MetricChange, type MetricSummary, type SeriesValues } from './metric-summary.js';

/** What an instance says about itself, fixed for its lifetime. */
export interface InstanceProfile {
  /** The metrics' `instance` label. */
  instance: string;
  /** When the instance started, epoch ms. */
  startedAt: number;
  demo: boolean;
  /** Whether it shares state through Redis (`REDIS_URL`). */
  redis: boolean;
  /** Whether it calls the WeChat API (has an access token to keep). */
  wechatApi: boolean;
  /** `EXTERNAL_SERVICE_TYPE` and `EXTERNAL_SERVICE_MODEL` (null when unset). */
  ai: { provider: string; model: string | null };
}

export type CircuitState = keyof typeof CIRCUIT_STATE;

export interface TokenState {
  /** valid: a token that has not expired; failing: none, and fetching it failed; none: not fetched yet; off: no WeChat API. */
  state: 'valid' | 'failing' | 'none' | 'off';
  expiresInSeconds: number | null;
  ageSeconds: number | null;
}

export interface InstanceSnapshot extends InstanceProfile {
  /** `wx_build_info`'s version, `unknown` when it is not set. */
  version: string;
  /** When the snapshot was taken, epoch ms. */
  takenAt: number;
  uptimeSeconds: number;
  /** The AI service's circuit breaker (the worst one, were there several); null when the service has none. */
  circuit: CircuitState | null;
  token: TokenState;
  /** Totals since the instance started. */
  totals: MetricSummary;
  /** Since the previous snapshot (or since the start, for the first), over `seconds`. */
  change: MetricChange & { seconds: number };
}

export function instanceSnapshot(profile: InstanceProfile, totals: MetricSummary, previous: InstanceSnapshot | undefined, takenAt: number): InstanceSnapshot {
  const since = previous?.takenAt ?? profile.startedAt;
  return {
    ...profile,
    version: versionOf(totals.gauges.wx_build_info),
    takenAt,
    uptimeSeconds: Math.max(0, (takenAt - profile.startedAt) / 1000),
    circuit: circuitOf(totals.gauges.wx_ai_circuit_state),
    token: tokenOf(profile, totals),
    totals,
    change: { seconds: Math.max(0.001, (takenAt - since) / 1000), ...metricChange(totals, previous?.totals) },
  };
}

function versionOf(buildInfo: SeriesValues | undefined): string {
  const key = Object.keys(buildInfo ?? {})[0];
  return (key === undefined ? undefined : labelsOf(key).version) ?? 'unknown';
}

function circuitOf(states: SeriesValues | undefined): CircuitState | null {
  const values = Object.values(states ?? {});
  if (values.length === 0) return null;
  const worst = Math.max(...values);
  return (Object.keys(CIRCUIT_STATE) as CircuitState[]).find((name) => CIRCUIT_STATE[name] === worst) ?? null;
}

function tokenOf(profile: InstanceProfile, totals: MetricSummary): TokenState {
  if (!profile.wechatApi) return { state: 'off', expiresInSeconds: null, ageSeconds: null };
  const expiresIn = totals.gauges.wx_access_token_expires_in_seconds?.[''];
  const age = totals.gauges.wx_access_token_age_seconds?.[''];
  if (expiresIn !== undefined && expiresIn > 0) return { state: 'valid', expiresInSeconds: expiresIn, ageSeconds: age ?? null };
  const failures = Object.entries(totals.counters.wx_access_token_refreshes_total ?? {}).some(([key, value]) => labelsOf(key).result === 'error' && value > 0);
  return { state: failures ? 'failing' : 'none', expiresInSeconds: null, ageSeconds: null };
}

/** Whether a value read back (from Redis) has the shape this code writes; anything else is not shown. */
export function isInstanceSnapshot(value: unknown): value is InstanceSnapshot {
  if (typeof value !== 'object' || value === null) return false;
  const snapshot = value as Partial<Record<keyof InstanceSnapshot, unknown>>;
  const change = snapshot.change as { seconds?: unknown; counters?: unknown; histograms?: unknown } | undefined;
  const totals = snapshot.totals as { counters?: unknown; gauges?: unknown; histograms?: unknown } | undefined;
  return (
    typeof snapshot.instance === 'string' &&
    typeof snapshot.takenAt === 'number' &&
    typeof snapshot.startedAt === 'number' &&
    typeof totals?.counters === 'object' &&
    typeof totals.gauges === 'object' &&
    typeof totals.histograms === 'object' &&
    typeof change?.seconds === 'number' &&
    change.seconds > 0 &&
    typeof change.counters === 'object' &&
    typeof change.histograms === 'object'
  );
}
