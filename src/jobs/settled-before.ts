/**
 * Waits for promises, but never past a deadline: both answer queues give their running jobs until the shutdown's
 * deadline and then act on whatever is still running.
 */

/** Resolves true when every promise settled before `deadline` (a `Date.now()` time), false when the deadline came first. */
export async function settledBefore(promises: Promise<unknown>[], deadline: number): Promise<boolean> {
  if (promises.length === 0) return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, deadline - Date.now()), false);
  });
  try {
    return await Promise.race([Promise.allSettled(promises).then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
