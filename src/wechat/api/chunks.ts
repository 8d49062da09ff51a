/** `items` in consecutive slices of at most `size` (none for an empty input): WeChat's batch endpoints cap the ids per call. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}
