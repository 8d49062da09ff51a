/**
 * The metrics module on its own: the hot path's counter cells reach the registry exactly when it is read (as text
 * and as JSON), each instance has its own registry, and the state gauges read their sources at scrape time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics } from '../../src/metrics/metrics.js';
import { parseExposition, valueOf } from '../support/prometheus-text.js';

const fresh = (instance = 'test-instance') => createMetrics({ instance, version: '9.9.9', defaultMetrics: false });

describe('createMetrics', () => {
  it('counter cells: a series shows at 0 once its cell exists, and every increment is collected exactly once', async () => {
    const metrics = fresh();
    const first = metrics.callbacks.cell({ type: 'text', delivery: '1', outcome: 'answered' });
    const second = metrics.callbacks.cell({ type: 'text', delivery: '1', outcome: 'answered' });
    let exposition = parseExposition(await metrics.registry.metrics());
    assert.equal(valueOf(exposition, 'wx_callbacks_total', { type: 'text', delivery: '1' }), 0);
    assert.ok(exposition.samples.some((sample) => sample.name === 'wx_callbacks_total'), 'the series is there before any count');
    for (let count = 0; count < 1000; count++) first.inc();
    second.inc();
    metrics.callbacks.inc({ type: 'text', delivery: '1', outcome: 'answered' }, 2);
    exposition = parseExposition(await metrics.registry.metrics());
    assert.equal(valueOf(exposition, 'wx_callbacks_total', { type: 'text', delivery: '1', outcome: 'answered' }), 1003);
    first.inc();
    const json = await metrics.registry.getMetricsAsJSON();
    const family = json.find((each) => each.name === 'wx_callbacks_total');
    assert.equal(family?.values.reduce((total, value) => total + value.value, 0), 1004, 'read as JSON (the dashboard) too');
    exposition = parseExposition(await metrics.registry.metrics());
    assert.equal(valueOf(exposition, 'wx_callbacks_total'), 1004, 'reading twice counts nothing twice');
  });

  it('each instance has its own registry, labelled with its instance and version', async () => {
    const one = fresh('one');
    const two = fresh('two');
    one.deliveries.cell({ route: 'passive' }).inc();
    const exposition = parseExposition(await two.registry.metrics());
    assert.equal(valueOf(exposition, 'wx_deliveries_total'), 0);
    assert.equal(valueOf(exposition, 'wx_build_info', { version: '9.9.9', instance: 'two' }), 1);
  });

  it('the token and AI gauges read their sources when the registry is read', async () => {
    const metrics = fresh();
    let exposition = parseExposition(await metrics.registry.metrics());
    assert.equal(valueOf(exposition, 'wx_access_token_expires_in_seconds'), 0, 'no source: 0');
    assert.equal(exposition.samples.filter((sample) => sample.name === 'wx_ai_circuit_state').length, 0, 'no AI service: no series');

    const now = Date.now();
    metrics.watchAccessToken(async () => ({ obtainedAt: now - 600_000, expiresAt: now + 6_600_000 }));
    let circuit: 'closed' | 'half-open' | 'open' = 'open';
    metrics.watchAiService('openai', () => ({ circuit, inFlight: 3, queued: 7 }));
    exposition = parseExposition(await metrics.registry.metrics());
    assert.ok(Math.abs(valueOf(exposition, 'wx_access_token_age_seconds') - 600) < 5);
    assert.ok(Math.abs(valueOf(exposition, 'wx_access_token_expires_in_seconds') - 6600) < 5);
    assert.equal(valueOf(exposition, 'wx_ai_circuit_state', { provider: 'openai' }), 2);
    assert.equal(valueOf(exposition, 'wx_ai_calls_in_flight', { provider: 'openai' }), 3);
    assert.equal(valueOf(exposition, 'wx_ai_queue_depth', { provider: 'openai' }), 7);
    circuit = 'half-open';
    exposition = parseExposition(await metrics.registry.metrics());
    assert.equal(valueOf(exposition, 'wx_ai_circuit_state', { provider: 'openai' }), 1);

    metrics.watchAccessToken(async () => {
      throw new Error('store unreachable');
    });
    exposition = parseExposition(await metrics.registry.metrics());
    assert.equal(valueOf(exposition, 'wx_access_token_expires_in_seconds'), 0, 'an unreadable store counts as no token');
  });
});
