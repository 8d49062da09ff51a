// A job run again after its first run died (a takeover, a restart): the worker and the delivery policy with real
// in-memory stores, a model that answers from a script, and a customer-service channel that records what it sends
// — and can stop answering, as an instance killed in the middle of a send does. The multi-process version of these
// cases is in test/scale-out/.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { MemoryDedupStore } from '../../src/conversation/dedup/memory-dedup-store.js';
import { DeliveryRecorder } from '../../src/conversation/delivery-recorder.js';
import { AnswerArchive } from '../../src/delivery/answer-archive.js';
import { CustomerServiceDelivery, type CustomerServiceChannel } from '../../src/delivery/customer-service-delivery.js';
import { CustomerServicePermission } from '../../src/delivery/customer-service-permission.js';
import { DeliveryPolicy } from '../../src/delivery/delivery-policy.js';
import { PickupBox } from '../../src/delivery/pickup-box.js';
import { MemoryCustomerServiceLedger } from '../../src/delivery/state/memory-customer-service-ledger.js';
import { MemorySharedState } from '../../src/delivery/state/memory-shared-state.js';
import { AnswerCheckpoints } from '../../src/jobs/answer-checkpoint.js';
import type { AnswerJob } from '../../src/jobs/answer-job.js';
import { answerWorker } from '../../src/jobs/answer-worker.js';
import type { AnswerProducer } from '../../src/jobs/produce-answer.js';
import type { InboundMessage } from '../../src/wechat/message/types.js';

const log = pino({ level: 'silent' });
const OPENID = 'oTakeover';
/** Four paragraphs of about 1,200 bytes each: four customer-service messages. */
const PARAGRAPHS = ['甲', '乙', '丙', '丁'].map((mark) => `${mark}段：${mark.repeat(400)}。`);

/** The stores every "instance" shares (Redis in production). */
function sharedStores() {
  const state = new MemorySharedState();
  return {
    state,
    dedupStore: new MemoryDedupStore(),
    ledger: new MemoryCustomerServiceLedger(),
    pickup: new PickupBox({ state, keyword: '继续' }),
    permission: new CustomerServicePermission(state),
    checkpoints: new AnswerCheckpoints(state),
  };
}

type Stores = ReturnType<typeof sharedStores>;

/** A customer-service channel that records every text; from the `hangFrom`-th send on, it receives but never answers. */
function recordingChannel(hangFrom = Infinity) {
  const received: string[] = [];
  const channel: CustomerServiceChannel = {
    typing: async () => {},
    sendText: (_openId, text) => {
      received.push(text);
      return received.length >= hangFrom ? new Promise<void>(() => {}) : Promise.resolve();
    },
  };
  return { channel, received };
}

/** One instance's worker over the shared stores; `calls` counts its model calls. */
function instance(stores: Stores, channel: CustomerServiceChannel) {
  const recorder = new DeliveryRecorder({ log });
  const delivery = new CustomerServiceDelivery({ channel, pickup: stores.pickup, archive: new AnswerArchive(stores.state), permission: stores.permission, ledger: stores.ledger, log });
  const policy = new DeliveryPolicy({
    mode: 'customer_service', passiveWindowMs: 100, dedupStore: stores.dedupStore, dedupTtlMs: 60_000, pickup: stores.pickup, permission: stores.permission,
    customerService: { channel, delivery }, log, recorder,
  });
  let calls = 0;
  const produce: AnswerProducer = async (_message, answer) => {
    calls += 1;
    answer.append(PARAGRAPHS.join('\n\n'));
    answer.finish('answered');
  };
  return { process: answerWorker({ produce, policy, checkpoints: stores.checkpoints, log }), calls: () => calls };
}

/** `late`: the job starts after the passive window (a backlog, a takeover): the answer goes by customer-service messages. */
async function newJob(stores: Stores, msgId: string, late = true): Promise<AnswerJob> {
  const message: InboundMessage = { toUserName: 'gh_a', fromUserName: OPENID, createTime: Math.floor(Date.now() / 1000), fields: {}, kind: 'text', msgType: 'text', msgId, content: '长问题' };
  const messageKey = `wx1|${msgId}`;
  await stores.dedupStore.claim(messageKey, 60_000);
  await stores.ledger.grant(OPENID, 'message');
  return { messageKey, message, arrivedAt: late ? Date.now() - 10_000 : Date.now(), answerId: `answer-${msgId}` };
}

const waitUntil = async (condition: () => boolean): Promise<void> => {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 5_000) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

/** Everything the user can read: the customer-service messages, then every pickup. */
async function everythingRead(stores: Stores, sent: string[]): Promise<string> {
  const picked: string[] = [];
  for (let item = await stores.pickup.take(OPENID); item !== undefined; item = await stores.pickup.take(OPENID)) {
    if (item.item.type === 'text') picked.push(item.item.content);
  }
  return [...sent, ...picked].join('\n');
}

describe('a job run again after its first run died', () => {
  it('killed mid-send: the taken-over run sends no message twice, leaves the uncertain one for pickup and says so; no second model call', async () => {
    const stores = sharedStores();
    const job = await newJob(stores, '1001');
    const first = recordingChannel(2);
    const dead = instance(stores, first.channel);
    void dead.process(job, new AbortController().signal);
    await waitUntil(() => first.received.length === 2);

    const second = recordingChannel();
    const takeover = instance(stores, second.channel);
    await takeover.process(job, new AbortController().signal);

    assert.equal(dead.calls() + takeover.calls(), 1, 'the finished answer was checkpointed: no second model call');
    const sent = [...first.received, ...second.received];
    assert.equal(new Set(sent).size, sent.length, 'no message repeated');
    assert.ok(sent.length <= 5, `${sent.length} customer-service messages`);
    assert.match(second.received[0] ?? '', /^（上一条消息可能没有送达，回复「继续」查看）/);
    const read = await everythingRead(stores, sent);
    for (const paragraph of PARAGRAPHS) assert.ok(read.includes(paragraph), `the user can read ${paragraph.slice(0, 3)}`);
    assert.equal((await stores.checkpoints.load(job.messageKey)).delivered, true);
  });

  it('killed mid-send after a passive first part: the rest continues without repeats, the uncertain message left for pickup', async () => {
    const stores = sharedStores();
    const job = await newJob(stores, '1005', false);
    const first = recordingChannel(2);
    void instance(stores, first.channel).process(job, new AbortController().signal);
    await waitUntil(() => first.received.length === 2);
    const passive = await stores.dedupStore.waitForReply(job.messageKey, 1_000);
    assert.match(passive ?? '', /甲段/, 'the first part went as the passive reply');

    const second = recordingChannel();
    await instance(stores, second.channel).process(job, new AbortController().signal);
    const sent = [...first.received, ...second.received];
    assert.equal(new Set(sent).size, sent.length, 'no message repeated');
    assert.match(second.received[0] ?? '', /^（上一条消息可能没有送达，回复「继续」查看）/);
    const read = `${passive}\n${await everythingRead(stores, sent)}`;
    for (const paragraph of PARAGRAPHS) assert.ok(read.includes(paragraph), `the user can read ${paragraph.slice(0, 3)}`);
  });

  it('a run of a delivered job does nothing', async () => {
    const stores = sharedStores();
    const job = await newJob(stores, '1002');
    const channel = recordingChannel();
    await instance(stores, channel.channel).process(job, new AbortController().signal);
    const count = channel.received.length;
    assert.ok(count >= 3);
    const again = instance(stores, channel.channel);
    await again.process(job, new AbortController().signal);
    assert.equal(channel.received.length, count);
    assert.equal(again.calls(), 0);
  });

  it('two workers on one job at once (a lock lost while its worker still runs): each message is sent once', async () => {
    const stores = sharedStores();
    const job = await newJob(stores, '1003');
    const channel = recordingChannel();
    await Promise.all([instance(stores, channel.channel).process(job, new AbortController().signal), instance(stores, channel.channel).process(job, new AbortController().signal)]);
    assert.equal(new Set(channel.received).size, channel.received.length, channel.received.map((text) => text.slice(0, 3)).join(' | '));
    const read = await everythingRead(stores, channel.received);
    for (const paragraph of PARAGRAPHS) assert.ok(read.includes(paragraph));
  });

  it('a stopped job (shutdown) sends nothing more after its signal, and the next run finishes the answer', async () => {
    const stores = sharedStores();
    const job = await newJob(stores, '1004');
    const first = recordingChannel();
    const controller = new AbortController();
    controller.abort(new Error('shutdown'));
    await assert.rejects(instance(stores, first.channel).process(job, controller.signal));
    assert.deepEqual(first.received, []);
    const second = recordingChannel();
    await instance(stores, second.channel).process(job, new AbortController().signal);
    const read = await everythingRead(stores, second.received);
    for (const paragraph of PARAGRAPHS) assert.ok(read.includes(paragraph));
  });
});
