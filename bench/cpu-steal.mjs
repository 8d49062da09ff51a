// CPU time the hypervisor gave to other guests while a run was measured ("steal", /proc/stat), as a share of
// all CPU time on the machine. On a shared virtual machine this is the usual reason two runs of one benchmark
// disagree: a vCPU waiting for its physical core shows up as latency spikes, not as load. Linux only;
// elsewhere `stealShare()` returns null.
import fs from 'node:fs';

/** { steal, total } jiffies summed over all CPUs, or null where /proc/stat is unavailable. */
export function cpuTimes() {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal [guest guest_nice: already counted in user and nice]
    const total = f.slice(0, 8).reduce((a, x) => a + x, 0);
    return { steal: f[7] ?? 0, total };
  } catch {
    return null;
  }
}

/** Percent of CPU time stolen between two `cpuTimes()` readings, or null. */
export function stealShare(before, after) {
  if (!before || !after || after.total <= before.total) return null;
  return (100 * (after.steal - before.steal)) / (after.total - before.total);
}

/** Above this share the figures of a run are flagged as unreliable. */
export const STEAL_WARN_PERCENT = 5;
