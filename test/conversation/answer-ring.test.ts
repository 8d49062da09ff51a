import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnswerRing } from '../../src/conversation/dedup/answer-ring.js';

/** A deterministic pseudo-random sequence (so a failure can be replayed). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const SAMPLES = ['', 'success', '<xml><Encrypt><![CDATA[abc]]></Encrypt></xml>', '你好，世界 🌏', 'lone \uD800 surrogate', 'x'.repeat(3000)];

describe('AnswerRing (the memory dedup store\'s off-heap answers)', () => {
  it('stores, replaces and returns replies exactly, Unicode and lone surrogates included', () => {
    const ring = new AnswerRing({ maxEntries: 100, maxBytes: 1 << 20 });
    for (const [index, reply] of SAMPLES.entries()) ring.set(`k${index}|键`, reply, 1_000);
    for (const [index, reply] of SAMPLES.entries()) assert.equal(ring.get(`k${index}|键`, 0), reply);
    assert.equal(ring.size, SAMPLES.length);
    ring.set('k0|键', 'replaced', 1_000);
    assert.equal(ring.get('k0|键', 0), 'replaced');
    assert.equal(ring.size, SAMPLES.length);
    assert.equal(ring.get('absent', 0), undefined);
    assert.equal(ring.get('k1|键', 1_000), undefined, 'expired at its expiry time');
  });

  it('beyond maxEntries evicts the oldest first', () => {
    const ring = new AnswerRing({ maxEntries: 5, maxBytes: 1 << 20 });
    for (let index = 0; index < 12; index++) ring.set(`key${index}`, `reply ${index}`, 1_000);
    assert.equal(ring.size, 5);
    for (let index = 0; index < 7; index++) assert.equal(ring.get(`key${index}`, 0), undefined);
    for (let index = 7; index < 12; index++) assert.equal(ring.get(`key${index}`, 0), `reply ${index}`);
  });

  it('beyond maxBytes evicts the oldest first and keeps working as the ring wraps, many times over', () => {
    const ring = new AnswerRing({ maxEntries: 100_000, maxBytes: 64 * 1024 });
    for (let index = 0; index < 20_000; index++) ring.set(`wx|${index}`, `reply ${index} ${'y'.repeat(index % 300)}`, 1e12);
    const last = 19_999;
    assert.equal(ring.get(`wx|${last}`, 0), `reply ${last} ${'y'.repeat(last % 300)}`);
    assert.equal(ring.get('wx|0', 0), undefined);
    // Everything held is the newest run of keys, each with its own reply.
    let held = 0;
    for (let index = last; index >= 0 && ring.get(`wx|${index}`, 0) !== undefined; index--) {
      assert.equal(ring.get(`wx|${index}`, 0), `reply ${index} ${'y'.repeat(index % 300)}`);
      held++;
    }
    assert.equal(held, ring.size);
    assert.ok(held > 100, `held ${held}`);
  });

  it('sweep drops expired answers from the oldest end and stops at the first live one', () => {
    const ring = new AnswerRing({ maxEntries: 100, maxBytes: 1 << 20 });
    ring.set('a', '1', 10);
    ring.set('b', '2', 10);
    ring.set('c', '3', 50);
    ring.set('d', '4', 10);
    ring.sweep(20);
    assert.equal(ring.size, 2);
    assert.equal(ring.get('c', 20), '3');
    assert.equal(ring.get('d', 0), '4', 'behind a live one, an expired answer waits (lookups ignore it once expired)');
    ring.sweep(100);
    assert.equal(ring.size, 0);
  });

  it('refuses an answer larger than the whole ring', () => {
    const ring = new AnswerRing({ maxEntries: 10, maxBytes: 64 * 1024 });
    assert.throws(() => ring.set('big', 'z'.repeat(70 * 1024), 1), RangeError);
    ring.set('small', 'ok', 1);
    assert.equal(ring.get('small', 0), 'ok');
  });

  it('agrees with a Map under random sets, replacements, expiry, sweeps and evictions', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const next = random(seed);
      const maxEntries = 50 + Math.floor(next() * 200);
      const ring = new AnswerRing({ maxEntries, maxBytes: 64 * 1024 });
      // The model: key → { reply, expiresAt }, in completion order (a Map keeps insertion order; re-set moves to the end).
      const model = new Map<string, { reply: string; expiresAt: number }>();
      let now = 0;
      for (let step = 0; step < 20_000; step++) {
        const roll = next();
        const key = `o${Math.floor(next() * 400)}|${Math.floor(next() * 3)}`;
        if (roll < 0.6) {
          const reply = SAMPLES[Math.floor(next() * (SAMPLES.length - 1))]! + String(step);
          const expiresAt = now + 1 + Math.floor(next() * 50);
          ring.set(key, reply, expiresAt);
          model.delete(key);
          model.set(key, { reply, expiresAt });
          // The ring may have evicted old entries for room; the model follows what the ring still holds.
          for (const [modelKey, entry] of model) {
            if (model.size <= ring.size) break;
            void entry;
            model.delete(modelKey);
          }
        } else if (roll < 0.95) {
          const expected = model.get(key);
          const got = ring.get(key, now);
          if (expected === undefined) assert.equal(got, undefined, `seed ${seed} step ${step}: ${key} should be absent`);
          else assert.equal(got, expected.expiresAt > now ? expected.reply : undefined, `seed ${seed} step ${step}: ${key}`);
        } else if (roll < 0.98) {
          now += Math.floor(next() * 10);
        } else {
          ring.sweep(now);
          for (const [modelKey, entry] of model) {
            if (entry.expiresAt > now) break;
            model.delete(modelKey);
          }
          assert.equal(ring.size, model.size, `seed ${seed} step ${step}: size after sweep`);
        }
        assert.ok(ring.size <= maxEntries);
      }
    }
  });
});
