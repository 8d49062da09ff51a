import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { ANSWER_RECORD_TTL_MS, WECHAT_CUSTOMER_SERVICE_GRANTS } from '../../src/delivery/state/customer-service-ledger.js';
import { RedisCustomerServiceLedger } from '../../src/delivery/state/redis-customer-service-ledger.js';
import { deleteKeys, requireRedis, TEST_REDIS_URL, uniquePrefix, withConnections } from '../support/redis.js';
import { runCustomerServiceLedgerContract, TestClock } from './customer-service-ledger.contract.js';

// Two ledgers over one fresh key prefix, each on its own connection, as two instances would have.
runCustomerServiceLedgerContract(
  'RedisCustomerServiceLedger',
  async (now) => {
    const keyPrefix = uniquePrefix('cs-ledger');
    const first = new Redis(TEST_REDIS_URL);
    const second = new Redis(TEST_REDIS_URL);
    return {
      ledger: new RedisCustomerServiceLedger({ redis: first, keyPrefix, now }),
      other: new RedisCustomerServiceLedger({ redis: second, keyPrefix, now }),
      cleanup: async () => {
        await deleteKeys(first, keyPrefix);
        await Promise.all([first.quit(), second.quit()]);
      },
    };
  },
  { beforeEach: requireRedis },
);

void it('RedisCustomerServiceLedger: every key is under the prefix and expires (allowance at its window end, answer 6 h after its last take)', async (t) => {
  await withConnections(t, 'cs-ledger', async (connect, keyPrefix) => {
    const redis = connect();
    const ledger = new RedisCustomerServiceLedger({ redis, keyPrefix });
    // Openids of this test alone, so that a search of the whole of Redis finds only its keys.
    const writer = `oWriter${randomBytes(4).toString('hex')}`;
    const clicker = `oClicker${randomBytes(4).toString('hex')}`;
    await ledger.grant(writer, 'message');
    await ledger.grant(clicker, 'menu');
    assert.equal(await ledger.take(writer, `wx1|${writer}`, 0, 'first'), 'ok');
    const keys = (await redis.keys(`${keyPrefix}*`)).sort();
    assert.deepEqual(keys, [`${keyPrefix}cs-allowance:${clicker}`, `${keyPrefix}cs-allowance:${writer}`, `${keyPrefix}cs-answer:wx1|${writer}`]);
    assert.deepEqual((await redis.keys(`*${writer}*`)).sort(), [`${keyPrefix}cs-allowance:${writer}`, `${keyPrefix}cs-answer:wx1|${writer}`]);
    const ttls = Object.fromEntries(await Promise.all(keys.map(async (key) => [key.slice(keyPrefix.length), await redis.pttl(key)] as const)));
    const within = (ttl: number | undefined, expected: number): boolean => ttl !== undefined && ttl > expected - 5_000 && ttl <= expected;
    assert.ok(within(ttls[`cs-allowance:${writer}`], WECHAT_CUSTOMER_SERVICE_GRANTS.message.windowMs), JSON.stringify(ttls));
    assert.ok(within(ttls[`cs-allowance:${clicker}`], WECHAT_CUSTOMER_SERVICE_GRANTS.menu.windowMs), JSON.stringify(ttls));
    assert.ok(within(ttls[`cs-answer:wx1|${writer}`], ANSWER_RECORD_TTL_MS), JSON.stringify(ttls));
  });
});

void it('RedisCustomerServiceLedger: a grant that does not move the window end keeps the key\'s expiry at it', async (t) => {
  await withConnections(t, 'cs-ledger', async (connect, keyPrefix) => {
    const redis = connect();
    const clock = new TestClock();
    const ledger = new RedisCustomerServiceLedger({ redis, keyPrefix, now: clock.now });
    await ledger.grant('oUser', 'message');
    clock.advance(3_600_000);
    await ledger.grant('oUser', 'menu');
    const ttl = await redis.pttl(`${keyPrefix}cs-allowance:oUser`);
    // 47 hours left by the ledger's clock, not the click's minute.
    assert.ok(ttl > 47 * 3_600_000 - 5_000 && ttl <= 47 * 3_600_000, String(ttl));
  });
});

void it('RedisCustomerServiceLedger: an allowance is really gone from Redis when its window ends', async (t) => {
  await withConnections(t, 'cs-ledger', async (connect, keyPrefix) => {
    const redis = connect();
    const short = { messages: 2, windowMs: 100 };
    const ledger = new RedisCustomerServiceLedger({ redis, keyPrefix, grants: { message: short, menu: short, subscribe: short, scan: short } });
    await ledger.grant('oUser', 'message');
    assert.equal(await ledger.allowance('oUser'), 2);
    await sleep(250);
    assert.equal(await redis.exists(`${keyPrefix}cs-allowance:oUser`), 0);
    assert.equal(await ledger.allowance('oUser'), 0);
  });
});

void it('RedisCustomerServiceLedger: works on after Redis forgot its scripts (NOSCRIPT)', async (t) => {
  await withConnections(t, 'cs-ledger', async (connect, keyPrefix) => {
    const redis = connect();
    const ledger = new RedisCustomerServiceLedger({ redis, keyPrefix });
    await ledger.grant('oUser', 'message');
    await redis.script('FLUSH');
    assert.equal(await ledger.take('oUser', 'answer', 0, 'after the flush'), 'ok');
    await redis.script('FLUSH');
    await ledger.grant('oUser', 'menu');
    assert.equal(await ledger.allowance('oUser'), 4);
  });
});
