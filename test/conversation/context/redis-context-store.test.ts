import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { ChatMessage } from '../../../src/ai/agent.js';
import { RedisContextStore } from '../../../src/conversation/context/redis-context-store.js';
import { deleteKeys, requireRedis, TEST_REDIS_URL, uniquePrefix, withConnections } from '../../support/redis.js';
import { runContextStoreContract, turn } from './context-store.contract.js';

runContextStoreContract(
  'RedisContextStore',
  async (limits) => {
    const redis = new Redis(TEST_REDIS_URL);
    const keyPrefix = uniquePrefix('context');
    return {
      store: new RedisContextStore({ redis, keyPrefix, ...limits }),
      cleanup: async () => {
        await deleteKeys(redis, keyPrefix);
        await redis.quit();
      },
    };
  },
  { beforeEach: requireRedis },
);

const USER = 'oUser_concurrent';

void describe('RedisContextStore across instances', () => {
  void it('two instances appending for one user at the same time both keep every turn', async (t) => {
    await withConnections(t, 'context', async (connect, keyPrefix) => {
      const first = new RedisContextStore({ redis: connect(), keyPrefix, maxTurns: 100 });
      const second = new RedisContextStore({ redis: connect(), keyPrefix, maxTurns: 100 });
      const appends: Promise<void>[] = [];
      for (let index = 0; index < 20; index += 1) {
        appends.push(first.append(USER, turn(index, 'from first')), second.append(USER, turn(100 + index, 'from second')));
      }
      await Promise.all(appends);
      const { messages } = await first.load(USER);
      assert.equal(messages.length, 80);
      const questions = new Set(messages.filter((message) => message.role === 'user').map((message) => message.content));
      assert.equal(questions.size, 40);
      // Turns stay whole: each question is followed by its own answer.
      for (let index = 0; index < messages.length; index += 2) {
        const question = messages[index]!.content as string;
        const expected: ChatMessage = { role: 'assistant', content: Number(question.split(' ')[1]) >= 100 ? 'from second' : 'from first' };
        assert.deepEqual(messages[index + 1], expected);
      }
      assert.deepEqual(await second.load(USER), await first.load(USER));
    });
  });

  void it('a write after a load keeps a turn another instance wrote in between (the loaded value is only a first guess)', async (t) => {
    await withConnections(t, 'context', async (connect, keyPrefix) => {
      const first = new RedisContextStore({ redis: connect(), keyPrefix, maxTurns: 100 });
      const second = new RedisContextStore({ redis: connect(), keyPrefix, maxTurns: 100 });
      await first.append(USER, turn(1, 'first'));
      // An answer on the first instance loads the context …
      assert.equal((await first.load(USER)).messages.length, 2);
      // … another instance answers the same user meanwhile …
      await second.load(USER);
      await second.append(USER, turn(2, 'second'));
      // … and the first one's turn lands after it, not over it.
      await first.append(USER, turn(3, 'first'));
      const questions = (await second.load(USER)).messages.filter((message) => message.role === 'user').map((message) => message.content);
      assert.deepEqual(questions, ['question 1', 'question 2', 'question 3']);
      // A session value set after a load (the turn's write took the loaded value) is kept too.
      await first.load(USER);
      await second.setSession(USER, 'conversation_id', 'c-2');
      await first.setSession(USER, 'other', 1);
      assert.deepEqual((await first.load(USER)).session, { conversation_id: 'c-2', other: 1 });
    });
  });

  void it('session updates from two instances at the same time are all kept', async (t) => {
    await withConnections(t, 'context', async (connect, keyPrefix) => {
      const first = new RedisContextStore({ redis: connect(), keyPrefix });
      const second = new RedisContextStore({ redis: connect(), keyPrefix });
      await Promise.all(Array.from({ length: 10 }, (_, index) => [
        first.setSession(USER, `first-${index}`, index),
        second.setSession(USER, `second-${index}`, index),
        (index % 2 === 0 ? first : second).append(USER, turn(index)),
      ]).flat());
      const { messages, session } = await second.load(USER);
      assert.equal(Object.keys(session).length, 20);
      assert.equal(messages.length, 20);
    });
  });

  void it('keeps one JSON key per user under {prefix}ctx:, expiring after ttlSeconds', async (t) => {
    await withConnections(t, 'context', async (connect, keyPrefix) => {
      const redis = connect();
      const store = new RedisContextStore({ redis, keyPrefix, ttlSeconds: 120 });
      await store.append('oUser1', turn(1));
      assert.deepEqual(await redis.keys(`${keyPrefix}*`), [`${keyPrefix}ctx:oUser1`]);
      const ttl = await redis.pttl(`${keyPrefix}ctx:oUser1`);
      assert.ok(ttl > 115_000 && ttl <= 120_000, `pttl ${ttl}`);
      assert.deepEqual(JSON.parse((await redis.get(`${keyPrefix}ctx:oUser1`))!), { turns: [turn(1)], session: {} });
      await store.reset('oUser1');
      assert.deepEqual(await redis.keys(`${keyPrefix}*`), []);
    });
  });

  void it('an unreadable value counts as no context and is replaced by the next write', async (t) => {
    await withConnections(t, 'context', async (connect, keyPrefix) => {
      const redis = connect();
      const store = new RedisContextStore({ redis, keyPrefix });
      await redis.set(`${keyPrefix}ctx:${USER}`, 'not json {', 'PX', 60_000);
      assert.deepEqual(await store.load(USER), { messages: [], session: {} });
      await store.append(USER, turn(1));
      assert.deepEqual(await store.load(USER), { messages: turn(1), session: {} });
    });
  });

  void it('prefixes isolate: the same user under another prefix is independent', async (t) => {
    await withConnections(t, 'context', async (connect, keyPrefix) => {
      const redis = connect();
      const one = new RedisContextStore({ redis, keyPrefix: `${keyPrefix}one:` });
      const other = new RedisContextStore({ redis, keyPrefix: `${keyPrefix}other:` });
      await one.append(USER, turn(1));
      assert.deepEqual(await other.load(USER), { messages: [], session: {} });
    });
  });

  void it('close() leaves the caller\'s connection open', async (t) => {
    await withConnections(t, 'context', async (connect, keyPrefix) => {
      const redis = connect();
      const store = new RedisContextStore({ redis, keyPrefix });
      await store.close();
      assert.equal(await redis.ping(), 'PONG');
    });
  });
});
