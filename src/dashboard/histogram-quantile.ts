/**
 * Percentiles from a Prometheus histogram's cumulative bucket counts, computed the way PromQL's
 * `histogram_quantile` does: find the bucket the rank falls in and interpolate linearly inside it (observations
 * are taken to be spread evenly within a bucket). The answer is therefore an estimate whose error is at most the
 * width of that bucket.
 */

/** A histogram as counts: `cumulative[i]` observations were ≤ `bounds[i]`; `count` is the `+Inf` bucket. */
export interface HistogramCounts {
  /** Finite upper bounds (`le`), ascending. */
  bounds: number[];
  /** Cumulative count per bound, same length as `bounds`. */
  cumulative: number[];
  /** Every observation, the `+Inf` bucket. */
  count: number;
}

/**
 * The `q` quantile (0 < q ≤ 1) of the observations, or `null` when there are none. A rank beyond the last finite
 * bound answers that bound (the `+Inf` bucket has no width to interpolate in), as Prometheus does.
 */
export function histogramQuantile(q: number, histogram: HistogramCounts): number | null {
  const { bounds, cumulative, count } = histogram;
  if (!(count > 0) || !(q > 0) || q > 1) return null;
  const rank = q * count;
  let below = 0;
  for (let index = 0; index < bounds.length; index++) {
    const upToBound = cumulative[index] ?? below;
    if (upToBound >= rank && upToBound > below) {
      const lower = index === 0 ? Math.min(0, bounds[0]!) : bounds[index - 1]!;
      const upper = bounds[index]!;
      return lower + ((upper - lower) * (rank - below)) / (upToBound - below);
    }
    below = upToBound;
  }
  return bounds.length > 0 ? bounds[bounds.length - 1]! : null;
}

/** p50, p90 and p99 at once (seconds, or `null` without observations). */
export function percentiles(histogram: HistogramCounts): { p50: number | null; p90: number | null; p99: number | null } {
  return { p50: histogramQuantile(0.5, histogram), p90: histogramQuantile(0.9, histogram), p99: histogramQuantile(0.99, histogram) };
}
