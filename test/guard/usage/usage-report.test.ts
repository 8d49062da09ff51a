/**
 * The usage report (totals by day and model, top users) over a real in-memory store, the query rules behind
 * `wx-backend usage` and `/admin/api/usage`, the usage meter's charges (reported, partial, estimated) and the
 * estimation rule.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { estimateInputTokens, estimateTokens } from '../../../src/guard/usage/estimate-tokens.js';
import { MemoryUsageStore } from '../../../src/guard/usage/memory-usage-store.js';
import { isUsageDay } from '../../../src/guard/usage/usage-day.js';
import { UsageMeter } from '../../../src/guard/usage/usage-meter.js';
import { buildUsageReport, UsageQueryError, usageQuery } from '../../../src/guard/usage/usage-report.js';
import type { UsageCharge, UsageStore } from '../../../src/guard/usage/usage-store.js';

const at = (day: string): number => Date.parse(`${day}T04:00:00Z`);
const silent = pino({ level: 'silent' });

async function storeWith(charges: Array<Omit<UsageCharge, 'estimated'> & { estimated?: boolean }>): Promise<MemoryUsageStore> {
  const store = new MemoryUsageStore();
  for (const each of charges) await store.record({ estimated: false, ...each });
  return store;
}

describe('usage report', () => {
  it('totals by day (every day of the range, empty ones as zeros) and model, the range total, top users', async () => {
    const store = await storeWith([
      { openId: 'oAlice', model: 'gpt-4o', inputTokens: 100, outputTokens: 50, at: at('2025-06-01') },
      { openId: 'oAlice', model: 'qwen', inputTokens: 10, outputTokens: 5, at: at('2025-06-01'), estimated: true },
      { openId: 'oBob', model: 'gpt-4o', inputTokens: 300, outputTokens: 100, at: at('2025-06-03') },
      { openId: 'oCarol', model: 'gpt-4o', inputTokens: 1, outputTokens: 1, at: at('2025-06-03') },
      { openId: 'oAlice', model: 'gpt-4o', inputTokens: 9999, outputTokens: 1, at: at('2025-06-04') },
    ]);
    const report = await buildUsageReport(store, { from: '2025-06-01', to: '2025-06-03', top: 2 });
    assert.equal(report.timeZone, 'Asia/Shanghai');
    assert.deepEqual(report.days.map((day) => [day.day, day.calls, day.inputTokens, day.outputTokens, day.totalTokens, day.estimatedCalls, day.users]), [
      ['2025-06-01', 2, 110, 55, 165, 1, 1],
      ['2025-06-02', 0, 0, 0, 0, 0, 0],
      ['2025-06-03', 2, 301, 101, 402, 0, 2],
    ]);
    assert.deepEqual(report.days[0]!.models, [
      { model: 'gpt-4o', inputTokens: 100, outputTokens: 50, totalTokens: 150, calls: 1, estimatedCalls: 0 },
      { model: 'qwen', inputTokens: 10, outputTokens: 5, totalTokens: 15, calls: 1, estimatedCalls: 1 },
    ]);
    assert.deepEqual(report.total, { inputTokens: 411, outputTokens: 156, totalTokens: 567, calls: 4, estimatedCalls: 1, users: 3 });
    assert.deepEqual(report.topUsers, [
      { openid: 'oBob', inputTokens: 300, outputTokens: 100, totalTokens: 400, calls: 1, estimatedCalls: 0 },
      { openid: 'oAlice', inputTokens: 110, outputTokens: 55, totalTokens: 165, calls: 2, estimatedCalls: 1 },
    ]);
  });

  it('top 0 lists no users', async () => {
    const store = await storeWith([{ openId: 'oAlice', model: 'm', inputTokens: 1, outputTokens: 1, at: at('2025-06-01') }]);
    assert.deepEqual((await buildUsageReport(store, { from: '2025-06-01', to: '2025-06-01', top: 0 })).topUsers, []);
  });
});

describe('usage query', () => {
  const now = Date.parse('2025-06-10T20:00:00Z'); // 2025-06-11 04:00 in Shanghai

  it('defaults: the 7 days up to today (Shanghai), top 10', () => {
    assert.deepEqual(usageQuery({}, now), { from: '2025-06-05', to: '2025-06-11', top: 10 });
    assert.deepEqual(usageQuery({ to: '2025-01-03' }, now), { from: '2024-12-28', to: '2025-01-03', top: 10 });
    assert.deepEqual(usageQuery({ from: '2025-06-01', to: '2025-06-01', top: '0' }, now), { from: '2025-06-01', to: '2025-06-01', top: 0 });
  });

  const refused: Array<[Parameters<typeof usageQuery>[0], string, RegExp]> = [
    [{ from: '2025-6-1' }, 'from', /YYYY-MM-DD, got "2025-6-1"/],
    [{ to: '2025-02-30' }, 'to', /YYYY-MM-DD/],
    [{ from: '2025-06-02', to: '2025-06-01' }, 'from', /is after to/],
    [{ from: '2024-01-01', to: '2025-06-01' }, 'from', /longer than 366 days/],
    [{ top: '-1' }, 'top', /whole number from 0 to 1000/],
    [{ top: '1001' }, 'top', /whole number/],
    [{ top: '2.5' }, 'top', /whole number/],
    [{ top: 'ten' }, 'top', /whole number/],
  ];
  for (const [given, parameter, message] of refused) {
    it(`refuses ${JSON.stringify(given)} naming ${parameter}`, () => {
      assert.throws(() => usageQuery(given, now), (error: unknown) => error instanceof UsageQueryError && error.parameter === parameter && message.test(error.message));
    });
  }

  it('isUsageDay takes real days only', () => {
    assert.ok(isUsageDay('2024-02-29'));
    assert.ok(!isUsageDay('2025-02-29'));
    assert.ok(!isUsageDay('2025-06-01T00:00'));
  });
});

describe('usage meter', () => {
  const request = [{ role: 'system' as const, content: 'Be brief.' }, { role: 'user' as const, content: '你好吗' }];

  function meter(): { usageMeter: UsageMeter; store: UsageStore } {
    const store = new MemoryUsageStore();
    return { store, usageMeter: new UsageMeter({ store, model: 'fake-model', now: () => at('2025-06-01') }) };
  }

  it('books the provider\'s counts as they are', async () => {
    const { usageMeter, store } = meter();
    await usageMeter.record('oAlice', { inputTokens: 123, outputTokens: 45 }, request, 'whatever', silent);
    assert.deepEqual(await store.day('2025-06-01'), [{ openId: 'oAlice', model: 'fake-model', inputTokens: 123, outputTokens: 45, calls: 1, estimatedCalls: 0 }]);
  });

  it('estimates what the provider left out and marks the call as estimated', () => {
    const { usageMeter } = meter();
    // "Be brief." = 9 characters → 3 tokens; 你好吗 = 3; "Hello there" = 11 → 3.
    assert.deepEqual(usageMeter.charge('oAlice', undefined, request, 'Hello there'), { openId: 'oAlice', model: 'fake-model', inputTokens: 6, outputTokens: 3, estimated: true, at: at('2025-06-01') });
    assert.deepEqual(usageMeter.charge('oAlice', { inputTokens: 100 }, request, '好的'), { openId: 'oAlice', model: 'fake-model', inputTokens: 100, outputTokens: 2, estimated: true, at: at('2025-06-01') });
    assert.equal(usageMeter.charge('oAlice', { inputTokens: 0, outputTokens: 0 }, request, 'x').estimated, false);
  });

  it('a store that fails does not fail the answer: record resolves and logs', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const failing: UsageStore = { record: () => Promise.reject(new Error('redis down')), spent: async () => ({ user: 0, account: 0 }), day: async () => [], close: async () => {} };
    await new UsageMeter({ store: failing, model: 'm' }).record('oAlice', { inputTokens: 1, outputTokens: 1 }, request, '', log);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /could not record token usage/);
  });
});

describe('token estimate', () => {
  it('1 per CJK or full-width character, 1/4 per other character, rounded up', () => {
    assert.equal(estimateTokens(''), 0);
    assert.equal(estimateTokens('a'), 1);
    assert.equal(estimateTokens('abcd'), 1);
    assert.equal(estimateTokens('abcde'), 2);
    assert.equal(estimateTokens('今天天气怎么样？'), 8);
    assert.equal(estimateTokens('こんにちは 안녕'), 8);
    assert.equal(estimateTokens('用 GPT-4o 写'), 4);
    assert.equal(estimateTokens('𠀀'), 1, 'a character outside the BMP is one character');
  });

  it('input: the text of every message; images are not counted', () => {
    assert.equal(estimateInputTokens([
      { role: 'system', content: 'abcd' },
      { role: 'user', content: [{ type: 'text', text: '图片' }, { type: 'image', url: 'https://example.com/a-very-long-url.jpg' }] },
      { role: 'assistant', content: '好' },
    ]), 4);
  });
});
