// The contract every ContextStore implementation passes (see src/conversation/context/context-store.ts). Each
// implementation's test file calls runContextStoreContract with a factory; every test gets a fresh store.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatMessage } from '../../../src/ai/agent.js';
import { IMAGE_PLACEHOLDER, TRUNCATION_MARK } from '../../../src/conversation/context/context-record.js';
import type { ContextLimits, ContextStore } from '../../../src/conversation/context/context-store.js';

export interface ContextStoreContractOptions {
  /** Runs before each test; returning false skips it (e.g. `requireRedis` when Redis is unreachable). */
  beforeEach?: (t: TestContext) => Promise<boolean>;
}

export type CreateContextStore = (limits?: Partial<ContextLimits>) => Promise<{ store: ContextStore; cleanup: () => Promise<void> }>;

const USER = 'o6_bmjrPTlm6_2sgVt7hMZOPfL2M';

/** One turn: a question and its answer. */
export function turn(index: number, answer = `answer ${index}`): ChatMessage[] {
  return [
    { role: 'user', content: `question ${index}` },
    { role: 'assistant', content: answer },
  ];
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

export function runContextStoreContract(name: string, createStore: CreateContextStore, options: ContextStoreContractOptions = {}): void {
  function contractTest(title: string, body: (store: ContextStore) => Promise<void>, limits?: Partial<ContextLimits>): void {
    void it(title, async (t) => {
      if (options.beforeEach && !(await options.beforeEach(t))) return;
      const { store, cleanup } = await createStore(limits);
      try {
        await body(store);
      } finally {
        await store.close();
        await cleanup();
      }
    });
  }

  void describe(`${name} (ContextStore contract)`, () => {
    contractTest('an unknown user has an empty context', async (store) => {
      assert.deepEqual(await store.load(USER), { messages: [], session: {} });
    });

    contractTest('appended turns load in order, oldest first', async (store) => {
      await store.append(USER, turn(1));
      await store.append(USER, turn(2));
      assert.deepEqual((await store.load(USER)).messages, [...turn(1), ...turn(2)]);
    });

    contractTest('a turn with tool calls is kept whole', async (store) => {
      const withTools: ChatMessage[] = [
        { role: 'user', content: '北京天气怎么样？' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'weather', arguments: { city: '北京', days: 1 } }] },
        { role: 'tool', toolCallId: 'call_1', name: 'weather', content: '{"temperature":21}' },
        { role: 'assistant', content: '北京今天 21°C，晴。' },
      ];
      await store.append(USER, withTools);
      assert.deepEqual((await store.load(USER)).messages, withTools);
    });

    contractTest('an empty append changes nothing', async (store) => {
      await store.append(USER, []);
      assert.deepEqual(await store.load(USER), { messages: [], session: {} });
    });

    contractTest(
      'keeps at most maxTurns turns, dropping the oldest',
      async (store) => {
        for (let index = 1; index <= 5; index += 1) await store.append(USER, turn(index));
        assert.deepEqual((await store.load(USER)).messages, [...turn(3), ...turn(4), ...turn(5)]);
      },
      { maxTurns: 3 },
    );

    contractTest(
      'maxTurns 0 keeps no messages but still keeps the session',
      async (store) => {
        await store.append(USER, turn(1));
        await store.setSession(USER, 'conversationId', 'c-1');
        assert.deepEqual(await store.load(USER), { messages: [], session: { conversationId: 'c-1' } });
      },
      { maxTurns: 0 },
    );

    contractTest(
      'keeps at most maxBytes of turns, dropping whole turns, oldest first',
      async (store) => {
        const answer = '很长的回答。'.repeat(30); // ~540 bytes
        for (let index = 1; index <= 10; index += 1) await store.append(USER, turn(index, answer));
        const { messages } = await store.load(USER);
        assert.ok(messages.length >= 2 && messages.length < 20, `${messages.length} messages kept`);
        assert.equal(messages.length % 2, 0, 'a turn was split');
        const keptTurns = messages.length / 2;
        assert.deepEqual(messages, Array.from({ length: keptTurns }, (_, index) => turn(10 - keptTurns + 1 + index, answer)).flat());
        const turns = Array.from({ length: keptTurns }, (_, index) => messages.slice(index * 2, index * 2 + 2));
        assert.ok(turns.reduce((sum, each) => sum + jsonBytes(each), 0) <= 2_000);
        // One more turn would not have fitted.
        assert.ok(turns.reduce((sum, each) => sum + jsonBytes(each), 0) + jsonBytes(turn(0, answer)) > 2_000);
      },
      { maxBytes: 2_000 },
    );

    contractTest(
      'a single turn larger than maxBytes is kept with its text shortened',
      async (store) => {
        await store.append(USER, turn(1));
        const huge = '这是一个非常长的回答😀。'.repeat(500);
        await store.append(USER, [{ role: 'user', content: '请写一篇长文' }, { role: 'assistant', content: huge }]);
        const { messages } = await store.load(USER);
        assert.equal(messages.length, 2);
        assert.deepEqual(messages[0], { role: 'user', content: '请写一篇长文' });
        const answer = messages[1]!;
        assert.equal(answer.role, 'assistant');
        assert.ok(typeof answer.content === 'string' && answer.content.endsWith(TRUNCATION_MARK));
        assert.ok(huge.startsWith((answer.content as string).slice(0, -TRUNCATION_MARK.length)));
        assert.ok(jsonBytes(messages) <= 1_000);
        assert.ok(jsonBytes(messages) > 500, 'shortened far more than needed');
      },
      { maxBytes: 1_000 },
    );

    contractTest(
      'the context expires ttlSeconds after the last write, and each append refreshes it',
      async (store) => {
        await store.append(USER, turn(1));
        await sleep(250);
        await store.append(USER, turn(2));
        await sleep(250);
        // 500 ms after the first append, 250 ms after the second: still there.
        assert.deepEqual((await store.load(USER)).messages, [...turn(1), ...turn(2)]);
        await store.setSession(USER, 'k', 'v');
        await sleep(550);
        assert.deepEqual(await store.load(USER), { messages: [], session: {} });
      },
      { ttlSeconds: 0.4 },
    );

    contractTest('session values survive appends, can be replaced and removed', async (store) => {
      await store.setSession(USER, 'conversationId', 'dify-123');
      await store.setSession(USER, 'profile', { name: '小明', tags: ['a', 'b'], age: 20, vip: true, note: null });
      await store.append(USER, turn(1));
      await store.setSession(USER, 'conversationId', 'dify-456');
      assert.deepEqual(await store.load(USER), {
        messages: turn(1),
        session: { conversationId: 'dify-456', profile: { name: '小明', tags: ['a', 'b'], age: 20, vip: true, note: null } },
      });
      await store.setSession(USER, 'profile', undefined);
      assert.deepEqual((await store.load(USER)).session, { conversationId: 'dify-456' });
    });

    contractTest('reset forgets the messages and the session', async (store) => {
      await store.append(USER, turn(1));
      await store.setSession(USER, 'conversationId', 'dify-123');
      await store.reset(USER);
      assert.deepEqual(await store.load(USER), { messages: [], session: {} });
      await store.append(USER, turn(2));
      assert.deepEqual(await store.load(USER), { messages: turn(2), session: {} });
    });

    contractTest('users are independent', async (store) => {
      await store.append('user-a', turn(1));
      await store.setSession('user-b', 'k', 1);
      await store.reset('user-c');
      assert.deepEqual(await store.load('user-a'), { messages: turn(1), session: {} });
      assert.deepEqual(await store.load('user-b'), { messages: [], session: { k: 1 } });
    });

    contractTest('stores image URLs but never image bytes', async (store) => {
      await store.append(USER, [
        {
          role: 'user',
          content: [
            { type: 'text', text: '这张图里是什么？' },
            { type: 'image', url: 'https://mmbiz.qpic.cn/a.jpg', data: new Uint8Array([1, 2, 3]), mimeType: 'image/jpeg' },
            { type: 'image', data: new Uint8Array(10_000), mimeType: 'image/png' },
          ],
        },
        { role: 'assistant', content: '一只猫。' },
      ]);
      assert.deepEqual((await store.load(USER)).messages, [
        {
          role: 'user',
          content: [
            { type: 'text', text: '这张图里是什么？' },
            { type: 'image', url: 'https://mmbiz.qpic.cn/a.jpg', mimeType: 'image/jpeg' },
            { type: 'text', text: IMAGE_PLACEHOLDER },
          ],
        },
        { role: 'assistant', content: '一只猫。' },
      ]);
    });

    contractTest('unicode content round-trips unchanged', async (store) => {
      const text = '中文、日本語、한국어、emoji 👨‍👩‍👧‍👦🎉, "quotes" \\ backslash, \u0000 nul, \n newline, \u2028 separator, é';
      await store.append(USER, [{ role: 'user', content: text }, { role: 'assistant', content: text }]);
      await store.setSession(USER, text, text);
      assert.deepEqual(await store.load(USER), { messages: [{ role: 'user', content: text }, { role: 'assistant', content: text }], session: { [text]: text } });
    });

    contractTest('concurrent appends for one user all keep their turn', async (store) => {
      await Promise.all(Array.from({ length: 8 }, (_, index) => store.append(USER, turn(index))));
      const { messages } = await store.load(USER);
      assert.equal(messages.length, 16);
      const questions = messages.filter((message) => message.role === 'user').map((message) => message.content).sort();
      assert.deepEqual(questions, Array.from({ length: 8 }, (_, index) => `question ${index}`).sort());
    });

    contractTest('a loaded context is a copy: changing it changes nothing stored', async (store) => {
      await store.append(USER, turn(1));
      await store.setSession(USER, 'list', [1]);
      const loaded = await store.load(USER);
      loaded.messages.push(...turn(2));
      loaded.messages[0]!.content = 'changed';
      (loaded.session.list as number[]).push(2);
      assert.deepEqual(await store.load(USER), { messages: turn(1), session: { list: [1] } });
    });
  });
}
