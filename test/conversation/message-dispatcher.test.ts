// MessageDispatcher on its own: synchronous when every step is, asynchronous otherwise, and never failing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { DedupClaim, DedupStore } from '../../src/conversation/dedup/dedup-store.js';
import { MemoryDedupStore } from '../../src/conversation/dedup/memory-dedup-store.js';
import { MessageDispatcher } from '../../src/conversation/message-dispatcher.js';
import { Router } from '../../src/conversation/router.js';
import type { InboundMessage } from '../../src/wechat/message/types.js';

let nextMsgId = 1;
const text = (content: string): InboundMessage => ({
  toUserName: 'gh_a', fromUserName: 'o_user', createTime: 1, fields: {}, kind: 'text', msgType: 'text', msgId: String(nextMsgId++), content,
});

function dispatcher(router: Router, dedupStore: DedupStore = new MemoryDedupStore()): MessageDispatcher {
  return new MessageDispatcher({
    appId: 'wx1', router, dedupStore, log: pino({ level: 'silent' }), passiveWindowMs: 200, dedupTtlMs: 10_000, claimLeaseMs: 10_000,
    errorMessage: 'service unavailable',
  });
}

/** A store whose every operation fails the way a lost Redis connection does, synchronously or not. */
function failingStore(how: 'throw' | 'reject'): DedupStore {
  const fail = (): never => {
    throw new Error('store down');
  };
  const rejecting = async (): Promise<never> => fail();
  return {
    claim: how === 'throw' ? (fail as () => DedupClaim) : (rejecting as () => Promise<DedupClaim>),
    complete: how === 'throw' ? fail : rejecting,
    completeIfPending: rejecting,
    release: async () => {},
    waitForReply: async () => undefined,
    close: async () => {},
  };
}

describe('MessageDispatcher', () => {
  it('is synchronous with the memory store and synchronous handlers: first delivery, then the cached answer', () => {
    const subject = dispatcher(new Router().text(undefined, (context) => ({ type: 'text', content: `echo ${context.message.kind}` })));
    const message = text('hi');
    const first = subject.dispatch(message);
    assert.ok(!(first instanceof Promise));
    assert.equal(first.source, 'handled');
    assert.match(first.replyXml, /echo text/);
    const retry = subject.dispatch(message);
    assert.ok(!(retry instanceof Promise));
    assert.deepEqual(retry, { ...first, source: 'cached' });
  });

  it('waits for an asynchronous handler, and a concurrent retry gets the same answer', async () => {
    let calls = 0;
    const subject = dispatcher(new Router().use(async () => {
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { type: 'text', content: 'slow answer' };
    }));
    const message = text('hi');
    const [first, retry] = await Promise.all([subject.dispatch(message), subject.dispatch(message)]);
    assert.equal(calls, 1);
    assert.equal(first.source, 'handled');
    assert.equal(retry.source, 'waited');
    assert.equal(retry.replyXml, first.replyXml);
  });

  it('answers without a reply once the window passes, and a later retry picks the answer up', async () => {
    const subject = dispatcher(new Router().use(async () => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      return { type: 'text', content: 'late answer' };
    }));
    const message = text('hi');
    assert.deepEqual(await subject.dispatch(message), { replyXml: '', source: 'window-passed', messageKey: `wx1|${message.kind === 'text' ? message.msgId : ''}` });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const retry = await subject.dispatch(message);
    assert.equal(retry.source, 'cached');
    assert.match(retry.replyXml, /late answer/);
  });

  for (const how of ['throw', 'reject'] as const) {
    it(`a store that fails (${how}) becomes EXTERNAL_SERVICE_ERROR_MSG, never an exception`, async () => {
      const subject = dispatcher(new Router().use(() => ({ type: 'text', content: 'unreached' })), failingStore(how));
      const result = await subject.dispatch(text('hi'));
      assert.equal(result.source, 'failed');
      assert.match(result.replyXml, /service unavailable/);
    });
  }

  for (const how of ['synchronously', 'asynchronously'] as const) {
    it(`a handler failing ${how} becomes EXTERNAL_SERVICE_ERROR_MSG, recorded for retries`, async () => {
      const boom = (): never => {
        throw new Error('boom');
      };
      const subject = dispatcher(new Router().use(how === 'synchronously' ? boom : async () => boom()));
      const message = text('hi');
      const result = await subject.dispatch(message);
      assert.equal(result.source, 'handled');
      assert.match(result.replyXml, /service unavailable/);
      assert.equal((await subject.dispatch(message)).replyXml, result.replyXml);
    });
  }
});
