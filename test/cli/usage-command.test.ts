/**
 * `wx-backend usage`, in-process: the report read from Redis (usage recorded there as the instances record it),
 * or, without Redis, asked from a running server's operator API; the table, `--json`, and every refusal.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { after, before, describe, it } from 'node:test';
import { RedisUsageStore } from '../../src/guard/usage/redis-usage-store.js';
import { usageDay } from '../../src/guard/usage/usage-day.js';
import type { UsageReport } from '../../src/guard/usage/usage-report.js';
import { MODEL_NAME, modelOf, startDeliveryStack, type DeliveryStack } from '../support/delivery-stack.js';
import { deleteKeys, requireRedis, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { assertNoStackTrace, startCliFixture, unusedLocalUrl, type CliFixture } from './cli-fixture.js';

const at = (day: string): number => Date.parse(`${day}T04:00:00Z`);

describe('wx-backend usage', () => {
  let fixture: CliFixture;
  before(async () => {
    fixture = await startCliFixture();
  });
  after(() => fixture.close());

  it('--help prints its usage and exits 0', async () => {
    const result = await fixture.run(['usage', '--help']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^Usage: wx-backend usage/);
    assert.match(result.stdout, /Asia\/Shanghai/);
  });

  it('is listed in wx-backend --help', async () => {
    assert.match((await fixture.run(['--help'])).stdout, /^ {2}usage\b/m);
  });

  const misuses: Array<[string[], RegExp]> = [
    [['usage', '--from', '2025-13-01'], /--from: expected a day as YYYY-MM-DD, got "2025-13-01"/],
    [['usage', '--from', '2025-06-02', '--to', '2025-06-01'], /--from: 2025-06-02 is after to/],
    [['usage', '--days', '3', '--from', '2025-06-01'], /--days and --from do not go together/],
    [['usage', '--days', '0'], /--days: expected a whole number from 1/],
    [['usage', '--top', 'all'], /--top: expected a whole number from 0 to 1000/],
    [['usage', 'today'], /expected no arguments/],
    [['usage', '--bogus'], /Unknown option '--bogus'/],
  ];
  for (const [args, message] of misuses) {
    it(`${args.slice(1).join(' ')}: exit 2 with the usage`, async () => {
      const result = await fixture.run(args);
      assert.equal(result.code, 2, result.output);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /Usage: wx-backend usage/);
      assert.equal(result.stdout, '');
    });
  }

  describe('with REDIS_URL: reads Redis', () => {
    let redis: Redis;
    let prefix: string;
    let available = false;
    before(async () => {
      redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      redis.on('error', () => {});
      prefix = uniquePrefix('usage-cli');
      try {
        await redis.connect();
        available = true;
      } catch {
        return;
      }
      const store = new RedisUsageStore({ redis, keyPrefix: `${prefix}usage:` });
      const charges = [
        { openId: 'oCliAlice', model: 'gpt-4o', inputTokens: 1200, outputTokens: 300, estimated: false, at: at('2025-06-01') },
        { openId: 'oCliAlice', model: 'gpt-4o', inputTokens: 800, outputTokens: 200, estimated: false, at: at('2025-06-03') },
        { openId: 'oCliBob', model: 'qwen-max', inputTokens: 40, outputTokens: 10, estimated: true, at: at('2025-06-03') },
        { openId: 'oCliCarol', model: 'gpt-4o', inputTokens: 5, outputTokens: 5, estimated: false, at: at('2025-06-03') },
      ];
      for (const charge of charges) await store.record(charge);
    });
    after(async () => {
      if (available) await deleteKeys(redis, prefix);
      redis.disconnect();
    });
    const env = (): Record<string, string> => fixture.env({ REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix });

    it('prints totals by day, by model and the top users of the range', async (t) => {
      if (!(await requireRedis(t))) return;
      const result = await fixture.run(['usage', '--from', '2025-06-01', '--to', '2025-06-03', '--top', '2'], { env: env() });
      assert.equal(result.code, 0, result.output);
      const lines = result.stdout.split('\n');
      assert.match(lines[0]!, /^Token usage 2025-06-01 … 2025-06-03 \(days in Asia\/Shanghai\), from Redis, keys under wxtest:usage-cli:/);
      const row = (first: string): string[] | undefined => lines.find((line) => line.startsWith(`${first} `))?.trim().split(/\s+/);
      // day/model/openid, calls, est. (blank when none), input, output, total[, users]
      assert.deepEqual(row('2025-06-01'), ['2025-06-01', '1', '1200', '300', '1500', '1']);
      assert.deepEqual(row('2025-06-02'), ['2025-06-02', '0', '0', '0', '0', '0']);
      assert.deepEqual(row('2025-06-03'), ['2025-06-03', '3', '1', '845', '215', '1060', '3']);
      assert.deepEqual(row('total'), ['total', '4', '1', '2045', '515', '2560', '3']);
      assert.deepEqual(row('gpt-4o'), ['gpt-4o', '3', '2005', '505', '2510']);
      assert.deepEqual(row('qwen-max'), ['qwen-max', '1', '1', '40', '10', '50']);
      assert.ok(lines.includes('top 2 users'), result.stdout);
      assert.deepEqual(row('oCliAlice'), ['oCliAlice', '2', '2000', '500', '2500']);
      assert.deepEqual(row('oCliBob'), ['oCliBob', '1', '1', '40', '10', '50']);
      assert.equal(row('oCliCarol'), undefined, 'only the top 2');
      assert.match(result.stdout, /est\.: calls whose service reported no usage; their tokens are estimates \(1 of 4\)\./);
    });

    it('--days N --to DAY and --json: the admin API\'s report', async (t) => {
      if (!(await requireRedis(t))) return;
      const result = await fixture.run(['usage', '--days', '1', '--to', '2025-06-03', '--json'], { env: env() });
      assert.equal(result.code, 0, result.output);
      const report = JSON.parse(result.stdout) as UsageReport;
      assert.deepEqual([report.from, report.to, report.timeZone], ['2025-06-03', '2025-06-03', 'Asia/Shanghai']);
      assert.deepEqual(report.total, { inputTokens: 845, outputTokens: 215, totalTokens: 1060, calls: 3, estimatedCalls: 1, users: 3 });
      assert.deepEqual(report.topUsers.map((user) => user.openid), ['oCliAlice', 'oCliBob', 'oCliCarol']);
    });

    it('the default range is the last 7 days up to today (in Shanghai)', async (t) => {
      if (!(await requireRedis(t))) return;
      const result = await fixture.run(['usage', '--json'], { env: env() });
      assert.equal(result.code, 0, result.output);
      const report = JSON.parse(result.stdout) as UsageReport;
      assert.equal(report.to, usageDay(Date.now()));
      assert.equal(report.days.length, 7);
    });

    it('--server goes with a server without Redis only: exit 2', async (t) => {
      if (!(await requireRedis(t))) return;
      const result = await fixture.run(['usage', '--server', 'http://127.0.0.1:1'], { env: env() });
      assert.equal(result.code, 2);
      assert.match(result.stderr, /--server is for a server without REDIS_URL/);
    });
  });

  it('Redis that cannot be reached: exit 1 saying so, no stack trace', async () => {
    const result = await fixture.run(['usage'], { env: fixture.env({ REDIS_URL: 'redis://127.0.0.1:1' }) });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^wx-backend usage: cannot connect to Redis \(REDIS_URL\)/);
    assertNoStackTrace(result.output);
  });

  describe('without REDIS_URL: asks the running server', () => {
    let stack: DeliveryStack;
    before(async () => {
      stack = await startDeliveryStack();
      modelOf(stack).setDefaultReply({ chunks: ['ok'], usage: { prompt_tokens: 31, completion_tokens: 7 } });
      await stack.client.sendText('oServerUsage', 'q');
    });
    after(() => stack.close());

    it('reads the usage in the server\'s memory through its operator API', async () => {
      const result = await fixture.run(['usage', '--server', stack.instance.url], { env: fixture.env({ ADMIN_TOKEN: stack.account.adminToken }) });
      assert.equal(result.code, 0, result.output);
      assert.match(result.stdout, new RegExp(`from the server at ${stack.instance.url} \\(in its memory\\)`));
      assert.match(result.stdout, /^oServerUsage +1 +31 +7 +38$/m);
      assert.match(result.stdout, new RegExp(`^${MODEL_NAME} +1 +31 +7 +38$`, 'm'));
      assert.ok(!result.output.includes(stack.account.adminToken), 'the admin token was printed');
    });

    it('without ADMIN_TOKEN: exit 2 explaining why it is needed', async () => {
      const result = await fixture.run(['usage', '--server', stack.instance.url]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /without REDIS_URL the usage is kept in the running server's memory.*needs ADMIN_TOKEN/);
    });

    it('a wrong ADMIN_TOKEN: exit 1 naming the 401', async () => {
      const result = await fixture.run(['usage', '--server', stack.instance.url], { env: fixture.env({ ADMIN_TOKEN: 'not-the-token' }) });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /the server answered 401\n {2}ADMIN_TOKEN is not the server's/);
    });

    it('no server there: exit 1, "cannot reach", no stack trace', async () => {
      const url = await unusedLocalUrl();
      const result = await fixture.run(['usage', '--server', url], { env: fixture.env({ ADMIN_TOKEN: 'any-token' }) });
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`cannot reach the server at ${url}`));
      assertNoStackTrace(result.output);
    });
  });
});
