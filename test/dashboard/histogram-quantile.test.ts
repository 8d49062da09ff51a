import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { histogramQuantile, percentiles, type HistogramCounts } from '../../src/dashboard/histogram-quantile.js';
import { seededRandom } from '../support/seeded-random.js';

/** Observations counted into buckets the way prom-client does (cumulative, `le` inclusive). */
function bucketed(bounds: number[], observations: number[]): HistogramCounts {
  return { bounds, cumulative: bounds.map((bound) => observations.filter((value) => value <= bound).length), count: observations.length };
}

const close = (actual: number | null, expected: number, tolerance = 1e-9) =>
  assert.ok(actual !== null && Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);

describe('histogramQuantile (PromQL histogram_quantile)', () => {
  it('interpolates linearly inside the bucket the rank falls in', () => {
    // 10 observations ≤ 0.1, 10 more in (0.1, 0.5]: the median is the top of the first bucket, p75 halfway up the second.
    const histogram: HistogramCounts = { bounds: [0.1, 0.5, 1], cumulative: [10, 20, 20], count: 20 };
    close(histogramQuantile(0.5, histogram), 0.1);
    close(histogramQuantile(0.75, histogram), 0.3);
    close(histogramQuantile(0.25, histogram), 0.05);
    close(histogramQuantile(1, histogram), 0.5);
  });

  it('skips empty buckets: the answer lies in the first bucket that reaches the rank', () => {
    const histogram: HistogramCounts = { bounds: [1, 2, 4, 8], cumulative: [0, 0, 4, 4], count: 4 };
    close(histogramQuantile(0.5, histogram), 3);
    close(histogramQuantile(0.99, histogram), 2 + 2 * 0.99);
  });

  it('answers the last finite bound when the rank falls in the +Inf bucket', () => {
    const histogram: HistogramCounts = { bounds: [0.1, 1], cumulative: [1, 2], count: 10 };
    assert.equal(histogramQuantile(0.5, histogram), 1);
    assert.equal(histogramQuantile(0.99, histogram), 1);
  });

  it('has no answer without observations, or for q outside (0, 1]', () => {
    assert.equal(histogramQuantile(0.5, { bounds: [1, 2], cumulative: [0, 0], count: 0 }), null);
    assert.equal(histogramQuantile(0, { bounds: [1], cumulative: [1], count: 1 }), null);
    assert.equal(histogramQuantile(1.5, { bounds: [1], cumulative: [1], count: 1 }), null);
    assert.deepEqual(percentiles({ bounds: [], cumulative: [], count: 0 }), { p50: null, p90: null, p99: null });
  });

  it('stays within one bucket of the exact percentile of random latencies', () => {
    const random = seededRandom(42);
    const bounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4.5, 5, 10];
    // Log-normal-ish latencies around 50 ms.
    const observations = Array.from({ length: 5000 }, () => Math.exp(Math.log(0.05) + (random() + random() + random() - 1.5) * 1.5));
    const sorted = [...observations].sort((a, b) => a - b);
    const histogram = bucketed(bounds, observations);
    for (const q of [0.5, 0.9, 0.99]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1]!;
      const estimate = histogramQuantile(q, histogram)!;
      const upper = bounds.find((bound) => bound >= exact)!;
      const lower = bounds[bounds.indexOf(upper) - 1] ?? 0;
      assert.ok(estimate >= lower && estimate <= upper, `q=${q}: estimate ${estimate} outside the exact value's bucket (${lower}, ${upper}]`);
    }
  });
});
