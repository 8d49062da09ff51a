import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dashboardView } from '../../src/dashboard/dashboard-view.js';
import { instanceSnapshot, type InstanceProfile, type InstanceSnapshot } from '../../src/dashboard/instance-snapshot.js';
import { summarizeMetrics } from '../../src/dashboard/metric-summary.js';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js';

function profile(instance: string, startedAt: number): InstanceProfile {
  return { instance, startedAt, demo: false, redis: true, wechatApi: true, ai: { provider: 'openai', model: 'gpt-test' } };
}

/** Two snapshots of one instance: `before` counts, a snapshot, `during` counts, a second snapshot `seconds` later. */
async function instance(name: string, startedAt: number, seconds: number, before: (metrics: Metrics) => void, during: (metrics: Metrics) => void): Promise<InstanceSnapshot> {
  const metrics = createMetrics({ instance: name, version: '1.0.0', defaultMetrics: false });
  before(metrics);
  const first = instanceSnapshot(profile(name, startedAt), summarizeMetrics(await metrics.registry.getMetricsAsJSON()), undefined, startedAt + 10_000);
  during(metrics);
  return instanceSnapshot(profile(name, startedAt), summarizeMetrics(await metrics.registry.getMetricsAsJSON()), first, startedAt + 10_000 + seconds * 1000);
}

const message = (metrics: Metrics, count: number, delivery = '1', outcome = 'answered') => metrics.callbacks.labels({ type: 'text', delivery, outcome }).inc(count);

describe('dashboardView: the deployment from its instances’ snapshots', () => {
  it('adds totals up, and rates from each instance’s own interval', async () => {
    const a = await instance('a', 1_000, 2, (m) => message(m, 100), (m) => message(m, 6));
    const b = await instance('b', 2_000, 1, (m) => message(m, 10), (m) => {
      message(m, 4);
      message(m, 2, 'retry', 'dedup_hit');
      m.callbacksRejected.labels({ status: '403' }).inc(3);
      m.callbacksRejected.labels({ status: '400' }).inc();
    });
    const view = dashboardView([b, a], { servedBy: 'b', now: 99_000 });
    const figures = view.deployment;
    assert.equal(figures.instances, 2);
    assert.deepEqual(figures.messages, { total: 120, perSecond: 6 / 2 + 4 / 1 });
    assert.deepEqual(figures.retries, { total: 2, perSecond: 2 });
    assert.deepEqual(figures.dedupHits, { total: 2, perSecond: 2 });
    assert.deepEqual(figures.rejected, { total: 4, perSecond: 4, byStatus: { '400': 1, '403': 3 } });
    assert.deepEqual(view.rows.map((row) => [row.instance, row.messages.total, row.messages.perSecond]), [['a', 106, 3], ['b', 14, 4]], 'rows in start order');
    assert.equal(view.servedBy, 'b');
    assert.equal(view.generatedAt, 99_000);
    assert.equal(view.snapshots.length, 2);
  });

  it('takes percentiles of the instances’ recent buckets added together, not an average of their percentiles', async () => {
    // a: 98 answers in ≤ 5 ms; b: 2 answers of 3 s. The deployment's p99 is seconds, its median milliseconds.
    const a = await instance('a', 1_000, 2, () => {}, (m) => {
      for (let index = 0; index < 98; index++) m.answerLatency.labels({ route: 'passive' }).observe(0.004);
    });
    const b = await instance('b', 1_000, 2, (m) => m.answerLatency.labels({ route: 'passive' }).observe(0.001), (m) => {
      m.answerLatency.labels({ route: 'customer_service' }).observe(3);
      m.answerLatency.labels({ route: 'customer_service' }).observe(3);
    });
    const { answerLatency } = dashboardView([a, b], { servedBy: 'a', now: 0 }).deployment;
    assert.ok(answerLatency.p50! <= 0.005, `p50 ${answerLatency.p50}`);
    assert.ok(answerLatency.p99! > 2 && answerLatency.p99! <= 4.5, `p99 ${answerLatency.p99}`);
    // The 1 ms answer before b's first snapshot is not recent.
    assert.ok(answerLatency.p50! > 0.0025, `p50 ${answerLatency.p50}`);
  });

  it('shows routes, model figures, errors by errcode and the worst circuit', async () => {
    const a = await instance('a', 1_000, 2, (m) => m.watchAiService('openai', () => ({ circuit: 'closed', inFlight: 1, queued: 0 })), (m) => {
      m.deliveries.labels({ route: 'passive' }).inc(8);
      m.deliveries.labels({ route: 'customer_service' }).inc(2);
      m.aiCalls.labels({ provider: 'openai', model: 'gpt-test', outcome: 'ok' }).inc(9);
      m.aiCalls.labels({ provider: 'openai', model: 'gpt-test', outcome: 'timeout' }).inc();
      m.aiTokens.labels({ provider: 'openai', model: 'gpt-test', direction: 'in' }).inc(400);
      m.aiTokens.labels({ provider: 'openai', model: 'gpt-test', direction: 'out' }).inc(100);
      m.aiFirstToken.labels({ provider: 'openai', model: 'gpt-test' }).observe(0.3);
      m.aiDuration.labels({ provider: 'openai', model: 'gpt-test', outcome: 'ok' }).observe(2.5);
      m.wechatApiCalls.labels({ api: 'message/custom/send', errcode: '0' }).inc(5);
      m.wechatApiCalls.labels({ api: 'message/custom/send', errcode: '45047' }).inc(2);
      m.wechatApiCalls.labels({ api: 'message/custom/typing', errcode: '48001' }).inc();
      m.customerServiceMessages.labels({ result: 'sent', errcode: '0' }).inc(5);
      m.customerServiceMessages.labels({ result: 'refused', errcode: '45047' }).inc(2);
      m.customerServiceMessages.labels({ result: 'failed', errcode: 'transport' }).inc();
    });
    const b = await instance('b', 1_000, 2, (m) => m.watchAiService('openai', () => ({ circuit: 'half-open', inFlight: 0, queued: 3 })), (m) => {
      m.deliveries.labels({ route: 'passive' }).inc(1);
      m.wechatApiCalls.labels({ api: 'message/custom/send', errcode: '45047' }).inc(1);
    });
    const figures = dashboardView([a, b], { servedBy: 'a', now: 0 }).deployment;
    assert.deepEqual(figures.routes, [
      { route: 'passive', total: 9, perSecond: 4.5 },
      { route: 'customer_service', total: 2, perSecond: 1 },
    ]);
    assert.deepEqual(figures.ai.calls, { total: 10, perSecond: 5 });
    assert.deepEqual(figures.ai.outcomes, { ok: 9, timeout: 1 });
    assert.deepEqual([figures.ai.tokensIn, figures.ai.tokensOut], [{ total: 400, perSecond: 200 }, { total: 100, perSecond: 50 }]);
    assert.ok(figures.ai.firstToken.p50! > 0.25 && figures.ai.firstToken.p50! <= 0.5);
    assert.ok(figures.ai.duration.p90! > 2 && figures.ai.duration.p90! <= 3);
    assert.deepEqual([figures.ai.inFlight, figures.ai.queued], [1, 3]);
    assert.deepEqual(figures.errors.wechatApi, [
      { errcode: '45047', api: 'message/custom/send', total: 3, perSecond: 1.5 },
      { errcode: '48001', api: 'message/custom/typing', total: 1, perSecond: 0.5 },
    ]);
    assert.deepEqual(figures.errors.customerService, [
      { errcode: '45047', total: 2, perSecond: 1 },
      { errcode: 'transport', total: 1, perSecond: 0.5 },
    ]);
    assert.equal(figures.circuit, 'half_open', 'the worst state among the instances');
  });

  it('process figures: the worst event-loop lag (p99 where known), memory and CPU added up', async () => {
    const a = await instance('a', 1_000, 2, () => {}, () => {});
    const b = await instance('b', 1_000, 4, () => {}, () => {});
    a.totals.gauges = { nodejs_eventloop_lag_seconds: { '': 0.001 }, nodejs_eventloop_lag_p99_seconds: { '': 0.03 }, process_resident_memory_bytes: { '': 100e6 } };
    b.totals.gauges = { nodejs_eventloop_lag_seconds: { '': 0.012 }, process_resident_memory_bytes: { '': 50e6 } };
    a.change.counters.process_cpu_seconds_total = { '': 1 };
    b.change.counters.process_cpu_seconds_total = { '': 1 };
    const view = dashboardView([a, b], { servedBy: 'a', now: 0 });
    assert.equal(view.deployment.eventLoopLagSeconds, 0.03);
    assert.equal(view.deployment.residentMemoryBytes, 150e6);
    assert.equal(view.deployment.cpu, 0.5 + 0.25);
    assert.deepEqual(view.rows.map((row) => [row.eventLoopLagSeconds, row.residentMemoryBytes, row.cpu]), [[0.03, 100e6, 0.5], [0.012, 50e6, 0.25]]);
  });

  it('works without any traffic: zeros and no percentiles', async () => {
    const idle = await instance('idle', 1_000, 2, () => {}, () => {});
    const figures = dashboardView([idle], { servedBy: 'idle', now: 0 }).deployment;
    assert.deepEqual(figures.messages, { total: 0, perSecond: 0 });
    assert.deepEqual(figures.answerLatency, { p50: null, p90: null, p99: null });
    assert.deepEqual(figures.routes, []);
    assert.deepEqual(figures.errors, { wechatApi: [], customerService: [] });
    assert.equal(figures.circuit, null);
    const empty = dashboardView([], { servedBy: 'x', now: 0, notice: 'Redis unreachable' });
    assert.equal(empty.deployment.instances, 0);
    assert.equal(empty.notice, 'Redis unreachable');
  });
});
