// The pickup handler on its own: what one PICKUP_KEYWORD message gets, with the box on memory state.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { pickupHandler } from '../../src/conversation/handlers/pickup-handler.js';
import type { DeliveryNote, HandlerContext, HandlerResult } from '../../src/conversation/router.js';
import { PickupBox } from '../../src/delivery/pickup-box.js';
import { MemorySharedState } from '../../src/delivery/state/memory-shared-state.js';
import type { InboundMessage } from '../../src/wechat/message/types.js';

const KEYWORD = '继续';
const USER = 'o_user';
const FALLTHROUGH = { type: 'text', content: 'the agent answered' } as const;

function setUp(waitMs = 600): { box: PickupBox; pickUp: (content?: string) => Promise<{ result: HandlerResult; note: DeliveryNote; passedOn: boolean }> } {
  const box = new PickupBox({ state: new MemorySharedState(), keyword: KEYWORD });
  const handler = pickupHandler({ keyword: KEYWORD, pickup: box, waitMs, pollMs: 20 });
  return {
    box,
    async pickUp(content = KEYWORD) {
      const message: InboundMessage = { toUserName: 'gh_a', fromUserName: USER, createTime: 1, fields: {}, kind: 'text', msgType: 'text', msgId: '1', content };
      const note: DeliveryNote = {};
      const context: HandlerContext = { message, appId: 'wx1', messageKey: 'k', log: pino({ level: 'silent' }), delivery: note };
      let passedOn = false;
      const result = await handler(context, () => {
        passedOn = true;
        return FALLTHROUGH;
      });
      return { result, note, passedOn };
    },
  };
}

describe('pickupHandler', () => {
  it('replies with the next item as it is — a text page, then the image — each counted as pickup_served', async () => {
    const { box, pickUp } = setUp();
    await box.leave(USER, '文字', [{ kind: 'image', mediaId: 'MEDIA_1' }]);
    const page = await pickUp();
    assert.deepEqual(page.result, { type: 'text', content: '文字\n\n（回复「继续」查看图片）' });
    assert.equal(page.note.route, 'pickup_served');
    const image = await pickUp();
    assert.deepEqual(image.result, { type: 'image', mediaId: 'MEDIA_1' });
    assert.equal(image.note.route, 'pickup_served');
    const after = await pickUp();
    assert.equal(after.passedOn, true, 'nothing left: an ordinary message');
    assert.equal(after.note.route, undefined);
  });

  it('waits for a pending answer and returns its media when it is left', async () => {
    const { box, pickUp } = setUp();
    await box.markPending(USER, 'message-1', 60_000);
    setTimeout(() => void box.leave(USER, '', [{ kind: 'voice', mediaId: 'VOICE_1' }]).then(() => box.clearPending(USER, 'message-1')), 100);
    assert.deepEqual((await pickUp()).result, { type: 'voice', mediaId: 'VOICE_1' });
  });

  it('a pending answer still not there when the wait ends: it is still being prepared', async () => {
    const { box, pickUp } = setUp(200);
    await box.markPending(USER, 'message-1', 60_000);
    const { result, passedOn } = await pickUp();
    assert.equal(passedOn, false);
    assert.deepEqual(result, { type: 'text', content: '回答还在准备中，请稍后再回复「继续」查看。' });
  });

  it('a pending answer that ends with nothing left (it went another way): an ordinary message, not "still being prepared"', async () => {
    const { box, pickUp } = setUp(2_000);
    await box.markPending(USER, 'message-1', 60_000);
    setTimeout(() => void box.clearPending(USER, 'message-1'), 100);
    const started = Date.now();
    const { result, passedOn } = await pickUp();
    assert.equal(passedOn, true);
    assert.deepEqual(result, FALLTHROUGH);
    assert.ok(Date.now() - started < 1_000, 'no waiting out the whole window');
  });

  it('another text is not a pickup', async () => {
    const { box, pickUp } = setUp();
    await box.leave(USER, '文字');
    assert.equal((await pickUp('继续说')).passedOn, true);
    assert.deepEqual((await box.take(USER))?.item, { type: 'text', content: '文字' });
  });
});
