// What PickupBox (src/delivery/pickup-box.ts) keeps for a user, on every SharedState implementation: text pages
// and uploaded media as items taken one per pickup, in order, exactly once across instances.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PickupBox } from '../../src/delivery/pickup-box.js';
import type { SharedState } from '../../src/delivery/state/shared-state.js';
import { utf8ByteLength } from '../../src/delivery/text/split-by-bytes.js';
import type { CreateSharedState } from './shared-state.contract.js';

export interface PickupBoxContractOptions {
  /** Returning false skips the test (Redis unreachable outside CI). */
  beforeEach?: (t: TestContext) => Promise<boolean>;
}

const KEYWORD = '继续';
const IMAGE = { kind: 'image', mediaId: 'MEDIA_IMAGE_1' } as const;
const VOICE = { kind: 'voice', mediaId: 'MEDIA_VOICE_1' } as const;

/** Takes every item left for `userId`; each take's `remaining` counts the items still left after it. */
async function takeAll(box: PickupBox, userId: string): Promise<unknown[]> {
  const items: unknown[] = [];
  const remaining: number[] = [];
  for (let taken = await box.take(userId); taken !== undefined; taken = await box.take(userId)) {
    items.push(taken.item);
    remaining.push(taken.remaining);
  }
  assert.deepEqual(remaining, items.map((_, index) => items.length - index - 1));
  return items;
}

export function runPickupBoxContract(name: string, create: CreateSharedState, options: PickupBoxContractOptions = {}): void {
  function contractTest(title: string, body: (box: PickupBox, other: PickupBox, state: SharedState) => Promise<void>): void {
    void it(title, async (t) => {
      if (options.beforeEach && !(await options.beforeEach(t))) return;
      const { state, other, cleanup } = await create();
      try {
        await body(new PickupBox({ state, keyword: KEYWORD }), new PickupBox({ state: other, keyword: KEYWORD }), state);
      } finally {
        await state.close();
        await other.close();
        await cleanup();
      }
    });
  }

  void describe(`PickupBox on ${name}`, () => {
    contractTest('text only: one page, as it was', async (box) => {
      assert.equal(await box.leave('u1', '一页就够了。'), 1);
      assert.deepEqual(await box.take('u1'), { item: { type: 'text', content: '一页就够了。' }, remaining: 0 });
      assert.equal(await box.take('u1'), undefined);
      assert.equal(await box.leave('u1', '  \n'), 0, 'blank text leaves nothing');
      assert.equal(await box.take('u1'), undefined);
    });

    contractTest('text then an image: the page names the image, the image comes next', async (box) => {
      assert.equal(await box.leave('u1', '这是你要的猫。', [IMAGE]), 2);
      assert.deepEqual(await box.take('u1'), { item: { type: 'text', content: '这是你要的猫。\n\n（回复「继续」查看图片）' }, remaining: 1 });
      assert.deepEqual(await box.take('u1'), { item: { type: 'image', mediaId: 'MEDIA_IMAGE_1' }, remaining: 0 });
      assert.equal(await box.take('u1'), undefined);
    });

    contractTest('media only: the media, in order, without any text', async (box) => {
      assert.equal(await box.leave('u1', '', [VOICE, IMAGE]), 2);
      assert.deepEqual(await takeAll(box, 'u1'), [{ type: 'voice', mediaId: 'MEDIA_VOICE_1' }, { type: 'image', mediaId: 'MEDIA_IMAGE_1' }]);
    });

    contractTest('a long text and two images: every page within 2048 bytes, the last naming both images', async (box) => {
      const text = '消息投递需要耐心。'.repeat(500);
      const count = await box.leave('u1', text, [IMAGE, { kind: 'image', mediaId: 'MEDIA_IMAGE_2' }]);
      const items = (await takeAll(box, 'u1')) as Array<{ type: string; content?: string; mediaId?: string }>;
      assert.equal(items.length, count);
      const pages = items.filter((item) => item.type === 'text').map((item) => item.content!);
      assert.ok(pages.length >= 3, `paged (${pages.length})`);
      for (const page of pages) assert.ok(utf8ByteLength(page) <= 2048, `${utf8ByteLength(page)} bytes`);
      assert.match(pages[0]!, new RegExp(`（第1/${pages.length}页，回复「继续」查看下一页）$`));
      assert.match(pages.at(-1)!, new RegExp(`（第${pages.length}/${pages.length}页，回复「继续」查看图片（共2张））$`));
      assert.deepEqual(items.slice(pages.length), [{ type: 'image', mediaId: 'MEDIA_IMAGE_1' }, { type: 'image', mediaId: 'MEDIA_IMAGE_2' }]);
    });

    contractTest('a text just short of one page still fits its note about the voice', async (box) => {
      const note = '\n\n（回复「继续」查看语音）';
      const text = 'a'.repeat(2048 - utf8ByteLength(note));
      assert.equal(await box.leave('u1', text, [VOICE]), 2);
      assert.deepEqual((await box.take('u1'))?.item, { type: 'text', content: text + note });
    });

    contractTest('a page stored before items carried media (a plain string) is still a text page', async (box, _other, state) => {
      await state.push('pickup:u1', ['旧的一页', '{"not":"an item"}'], 60_000);
      assert.deepEqual((await box.take('u1'))?.item, { type: 'text', content: '旧的一页' });
      assert.deepEqual((await box.take('u1'))?.item, { type: 'text', content: '{"not":"an item"}' });
    });

    contractTest('users are apart; items left twice queue up; items expire', async (box, _other, state) => {
      await box.leave('u1', '第一个回答', [IMAGE]);
      await box.leave('u1', '第二个回答');
      assert.equal(await box.take('u2'), undefined);
      assert.deepEqual((await takeAll(box, 'u1')).map((item) => (item as { type: string }).type), ['text', 'image', 'text']);
      const short = new PickupBox({ state, keyword: KEYWORD, ttlMs: 60 });
      await short.leave('u3', '', [IMAGE]);
      await sleep(150);
      assert.equal(await short.take('u3'), undefined);
    });

    contractTest('shared: a pickup on the other instance takes each item exactly once', async (box, other) => {
      await box.leave('u1', '文字', [IMAGE, VOICE]);
      const taken = await Promise.all([box.take('u1'), other.take('u1'), box.take('u1'), other.take('u1')]);
      const items = taken.filter((each) => each !== undefined).map((each) => JSON.stringify(each.item)).sort();
      assert.equal(items.length, 3);
      assert.equal(new Set(items).size, 3);
      await box.markPending('u2', 'message-1', 60_000);
      assert.equal(await other.isPending('u2'), true);
      await other.clearPending('u2', 'another-message');
      assert.equal(await box.isPending('u2'), true, 'only the answer that set it clears it');
      await other.clearPending('u2', 'message-1');
      assert.equal(await box.isPending('u2'), false);
    });
  });
}
