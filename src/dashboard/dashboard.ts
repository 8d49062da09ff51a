/**
 * The dashboard of one instance. Every `periodMs` (2 s) it summarises its metrics registry into a snapshot and
 * publishes it to the board — Redis when instances share state, so that whichever instance serves the page shows
 * the whole deployment. `data()` answers `/dashboard/data` from every snapshot on the board, this instance's
 * latest always among them (also when the board cannot be reached: then it is the only one, and a notice says so).
 *
 * Publishing never disturbs serving: the timer is unref'd, a tick is skipped while the previous one is still
 * publishing, and failures are logged at most once a minute.
 */
import type { Logger } from 'pino';
import { dashboardView, type DashboardData } from './dashboard-view.js';
import { instanceSnapshot, type InstanceProfile, type InstanceSnapshot } from './instance-snapshot.js';
import { summarizeMetrics, type MetricFamilyJson } from './metric-summary.js';
import type { SnapshotBoard } from './snapshot-board.js';

export const DEFAULT_PERIOD_MS = 2_000;
/** A snapshot outlives its instance by this many periods, so a dead instance leaves the page within ~10 s. */
const TTL_PERIODS = 5;
const WARNING_INTERVAL_MS = 60_000;

export interface DashboardOptions {
  profile: InstanceProfile;
  /** The instance's metrics registry (`metrics.registry`). */
  registry: { getMetricsAsJSON(): Promise<readonly MetricFamilyJson[]> };
  board: SnapshotBoard;
  log: Logger;
  periodMs?: number;
  now?: () => number;
}

export class Dashboard {
  readonly #options: DashboardOptions;
  readonly #periodMs: number;
  readonly #now: () => number;
  #latest: InstanceSnapshot | undefined;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;
  #firstSnapshot: Promise<void> | undefined;
  #lastWarningAt = -Infinity;

  constructor(options: DashboardOptions) {
    this.#options = options;
    this.#periodMs = options.periodMs ?? DEFAULT_PERIOD_MS;
    this.#now = options.now ?? Date.now;
  }

  get instance(): string {
    return this.#options.profile.instance;
  }

  /** Takes and publishes the first snapshot now, then one every period. */
  start(): void {
    if (this.#timer) return;
    this.#firstSnapshot = this.#runTick();
    this.#timer = setInterval(() => {
      if (!this.#tick) void this.#runTick();
    }, this.#periodMs);
    this.#timer.unref();
  }

  /** The deployment's figures: every live instance's latest snapshot. */
  async data(): Promise<DashboardData> {
    await this.#firstSnapshot;
    let snapshots: InstanceSnapshot[];
    let notice: string | undefined;
    try {
      snapshots = await this.#options.board.read();
    } catch (error) {
      this.#warn(error, 'dashboard: cannot read the other instances’ snapshots; showing this instance only');
      snapshots = [];
      notice = 'The shared store (Redis) could not be read: this page shows only the instance that served it.';
    }
    const latest = this.#latest;
    if (latest) {
      const published = snapshots.findIndex((snapshot) => snapshot.instance === latest.instance);
      if (published === -1) snapshots.push(latest);
      else if (snapshots[published]!.takenAt <= latest.takenAt) snapshots[published] = latest;
    }
    return dashboardView(snapshots, { servedBy: this.instance, now: this.#now(), ...(notice === undefined ? {} : { notice }) });
  }

  /** Stops publishing and takes this instance off the board (before the Redis connection closes). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#tick;
    await this.#options.board.remove(this.instance).catch(() => {});
  }

  #runTick(): Promise<void> {
    this.#tick = this.#takeAndPublish().finally(() => {
      this.#tick = undefined;
    });
    return this.#tick;
  }

  async #takeAndPublish(): Promise<void> {
    let snapshot: InstanceSnapshot;
    try {
      const totals = summarizeMetrics(await this.#options.registry.getMetricsAsJSON());
      snapshot = instanceSnapshot(this.#options.profile, totals, this.#latest, this.#now());
      this.#latest = snapshot;
    } catch (error) {
      this.#warn(error, 'dashboard: cannot summarise the metrics');
      return;
    }
    try {
      await this.#options.board.publish(snapshot, this.#periodMs * TTL_PERIODS);
    } catch (error) {
      this.#warn(error, 'dashboard: cannot publish this instance’s snapshot; other instances’ dashboards will not show it');
    }
  }

  #warn(error: unknown, message: string): void {
    const now = this.#now();
    if (now - this.#lastWarningAt < WARNING_INTERVAL_MS) return;
    this.#lastWarningAt = now;
    this.#options.log.warn({ err: error }, `${message} (repeats are not logged for a minute)`);
  }
}
