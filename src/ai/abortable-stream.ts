/**
 * Iterates `source` until `signal` aborts, then throws `abortError()` at once — even when the source is stuck
 * in an `await` and ignores the signal (a misbehaving custom agent must not hold a turn past its timeout).
 * On abort or early exit the source's `return()` is called but not awaited, as a stuck source would never settle.
 */
export async function* abortableStream<T>(
  source: AsyncIterable<T>,
  signal: AbortSignal,
  abortError: () => unknown,
): AsyncGenerator<T, void, undefined> {
  if (signal.aborted) throw abortError();
  const iterator = source[Symbol.asyncIterator]();
  let onAbort: () => void = () => {};
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {});
  let done = false;
  try {
    while (true) {
      const result = await Promise.race([iterator.next(), aborted]);
      if (result.done) {
        done = true;
        return;
      }
      yield result.value;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (!done) {
      Promise.resolve()
        .then(() => iterator.return?.())
        .catch(() => {});
    }
  }
}
