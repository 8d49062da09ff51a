import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { instanceSnapshot, type InstanceProfile } from '../../src/dashboard/instance-snapshot.js';
import { DASHBOARD_FAMILIES, labelKey, labelsOf, metricChange, summarizeMetrics } from '../../src/dashboard/metric-summary.js';
import { createMetrics } from '../../src/metrics/metrics.js';

const PROFILE: InstanceProfile = { instance: 'host-1-abc', startedAt: 1_000_000, demo: false, redis: false, wechatApi: true, ai: { provider: 'openai', model: 'gpt-test' } };

describe('summarizeMetrics: a registry read into the compact form instances publish', () => {
  it('keeps counters per label set, histograms as cumulative buckets added over label sets, gauges as values', async () => {
    const metrics = createMetrics({ instance: 'host-1-abc', version: '1.2.3' });
    metrics.callbacks.labels({ type: 'text', delivery: '1', outcome: 'answered' }).inc(3);
    metrics.callbacks.labels({ type: 'text', delivery: 'retry', outcome: 'dedup_hit' }).inc();
    metrics.customerServiceMessages.labels({ result: 'refused', errcode: '45047' }).inc(2);
    metrics.answerLatency.labels({ route: 'passive' }).observe(0.003);
    metrics.answerLatency.labels({ route: 'passive' }).observe(0.02);
    metrics.answerLatency.labels({ route: 'customer_service' }).observe(7);

    const summary = summarizeMetrics(await metrics.registry.getMetricsAsJSON());

    assert.deepEqual(summary.counters.wx_callbacks_total, { 'delivery=1,outcome=answered,type=text': 3, 'delivery=retry,outcome=dedup_hit,type=text': 1 });
    assert.deepEqual(summary.counters.wx_customer_service_messages_total, { 'errcode=45047,result=refused': 2 });
    const latency = summary.histograms.wx_answer_latency_seconds!;
    assert.equal(latency.count, 3);
    assert.ok(Math.abs(latency.sum - 7.023) < 1e-9);
    assert.deepEqual(latency.bounds.slice(0, 3), [0.005, 0.01, 0.025]);
    const at = (bound: number) => latency.cumulative[latency.bounds.indexOf(bound)];
    assert.deepEqual([at(0.005), at(0.01), at(0.025), at(5), at(10), at(600)], [1, 1, 2, 2, 3, 3]);
    assert.deepEqual(Object.keys(summary.gauges.wx_build_info!), ['version=1.2.3']);
    assert.ok(summary.gauges.process_resident_memory_bytes![''] ! > 0, 'Node default metrics are read');

    // Only the families the dashboard shows, and never the instance label (it is the snapshot's own field).
    const names = [...Object.keys(summary.counters), ...Object.keys(summary.gauges), ...Object.keys(summary.histograms)];
    const wanted = new Set<string>([...DASHBOARD_FAMILIES.counters, ...DASHBOARD_FAMILIES.gauges, ...DASHBOARD_FAMILIES.histograms]);
    assert.deepEqual(names.filter((name) => !wanted.has(name)), []);
    assert.ok(!JSON.stringify(summary).includes('host-1-abc'));
  });

  it('label keys survive commas, equals signs and colons in label values', () => {
    const labels = { model: 'qwen2.5:7b,x=y', provider: 'ollama' };
    const key = labelKey({ ...labels, instance: 'dropped', le: 0.5 });
    assert.equal(key, 'model=qwen2.5%3A7b%2Cx%3Dy,provider=ollama');
    assert.deepEqual(labelsOf(key), labels);
    assert.deepEqual(labelsOf(''), {});
  });
});

describe('metricChange and instanceSnapshot: what changed since the previous snapshot', () => {
  it('counts increases per series (a new series wholly), bucket differences, and the seconds between', async () => {
    const metrics = createMetrics({ instance: 'host-1-abc', version: '1.2.3', defaultMetrics: false });
    const answered = metrics.callbacks.labels({ type: 'text', delivery: '1', outcome: 'answered' });
    answered.inc(5);
    metrics.answerLatency.labels({ route: 'passive' }).observe(0.003);
    const first = instanceSnapshot(PROFILE, summarizeMetrics(await metrics.registry.getMetricsAsJSON()), undefined, 1_004_000);
    assert.equal(first.change.seconds, 4, 'the first snapshot covers the time since the start');
    assert.deepEqual(first.change.counters.wx_callbacks_total, { 'delivery=1,outcome=answered,type=text': 5 });

    answered.inc(2);
    metrics.callbacksRejected.labels({ status: '403' }).inc();
    metrics.answerLatency.labels({ route: 'passive' }).observe(0.2);
    const second = instanceSnapshot(PROFILE, summarizeMetrics(await metrics.registry.getMetricsAsJSON()), first, 1_006_000);
    assert.equal(second.change.seconds, 2);
    assert.deepEqual(second.change.counters.wx_callbacks_total, { 'delivery=1,outcome=answered,type=text': 2 });
    assert.deepEqual(second.change.counters.wx_callbacks_rejected_total, { 'status=403': 1 });
    const recent = second.change.histograms.wx_answer_latency_seconds!;
    assert.equal(recent.count, 1);
    assert.equal(recent.cumulative[recent.bounds.indexOf(0.1)], 0, 'the earlier 3 ms answer is not in the change');
    assert.equal(recent.cumulative[recent.bounds.indexOf(0.25)], 1);
    assert.equal(second.totals.counters.wx_callbacks_total!['delivery=1,outcome=answered,type=text'], 7);
  });

  it('a counter that went down (impossible within one process) counts as no change, not a negative rate', () => {
    const before = { counters: { wx_ai_calls_total: { 'outcome=ok': 10 } }, gauges: {}, histograms: {} };
    const after = { counters: { wx_ai_calls_total: { 'outcome=ok': 4 } }, gauges: {}, histograms: {} };
    assert.deepEqual(metricChange(after, before).counters.wx_ai_calls_total, {});
  });

  it('reads version, circuit and access-token state from the registry', async () => {
    const metrics = createMetrics({ instance: 'host-1-abc', version: '2.0.0', defaultMetrics: false });
    const now = Date.now();
    metrics.watchAiService('openai', () => ({ circuit: 'open', inFlight: 0, queued: 0 }));
    metrics.watchAccessToken(async () => ({ obtainedAt: now - 60_000, expiresAt: now + 3_600_000 }));
    const snapshot = instanceSnapshot(PROFILE, summarizeMetrics(await metrics.registry.getMetricsAsJSON()), undefined, now);
    assert.equal(snapshot.version, '2.0.0');
    assert.equal(snapshot.circuit, 'open');
    assert.equal(snapshot.token.state, 'valid');
    assert.ok(Math.abs(snapshot.token.expiresInSeconds! - 3600) < 5);
    assert.ok(Math.abs(snapshot.token.ageSeconds! - 60) < 5);
    assert.equal(snapshot.uptimeSeconds, (now - PROFILE.startedAt) / 1000);

    const echo = createMetrics({ instance: 'host-2', version: '2.0.0', defaultMetrics: false });
    echo.tokenRefreshes.labels({ result: 'error' }).inc();
    const failing = instanceSnapshot(PROFILE, summarizeMetrics(await echo.registry.getMetricsAsJSON()), undefined, now);
    assert.equal(failing.circuit, null, 'no AI service watched: no breaker');
    assert.equal(failing.token.state, 'failing', 'no token and a failed refresh');
    const off = instanceSnapshot({ ...PROFILE, wechatApi: false }, failing.totals, undefined, now);
    assert.equal(off.token.state, 'off');
  });
});
