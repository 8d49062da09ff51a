/**
 * Where instances leave their dashboard snapshots for whichever instance serves the page. In memory for one
 * instance (the page shows that instance); in Redis when instances share state, so the page shows the whole
 * deployment. A snapshot expires after `ttlMs` unless republished: an instance that dies leaves the board by
 * itself. Implementations: `MemorySnapshotBoard`, `RedisSnapshotBoard` (both run test/dashboard/snapshot-board.contract.ts).
 */
import type { InstanceSnapshot } from './instance-snapshot.js';

export interface SnapshotBoard {
  /** Replaces the instance's snapshot; it lives `ttlMs` from now. */
  publish(snapshot: InstanceSnapshot, ttlMs: number): Promise<void>;
  /** Every snapshot that has not expired. */
  read(): Promise<InstanceSnapshot[]>;
  /** Takes an instance's snapshot off the board (it is shutting down). */
  remove(instance: string): Promise<void>;
}

export class MemorySnapshotBoard implements SnapshotBoard {
  readonly #entries = new Map<string, { snapshot: InstanceSnapshot; expiresAt: number }>();
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  async publish(snapshot: InstanceSnapshot, ttlMs: number): Promise<void> {
    this.#entries.set(snapshot.instance, { snapshot, expiresAt: this.#now() + ttlMs });
  }

  async read(): Promise<InstanceSnapshot[]> {
    const now = this.#now();
    for (const [instance, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(instance);
    return [...this.#entries.values()].map((entry) => entry.snapshot);
  }

  async remove(instance: string): Promise<void> {
    this.#entries.delete(instance);
  }
}
