import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Router, type HandlerContext } from '../../../src/conversation/router.js';
import { loadContentFilterFile } from '../../../src/guard/safety/content-filter-file.js';
import { ContentFilterSource } from '../../../src/guard/safety/content-filter-source.js';
import { ContentSafety } from '../../../src/guard/safety/content-safety.js';
import { incomingSafetyHandler } from '../../../src/guard/safety/incoming-safety-handler.js';
import type { InboundMessage } from '../../../src/wechat/message/types.js';
import { parseMessage } from '../../../src/wechat/message/parse-message.js';
import { temporaryFolder } from '../../support/app-instances.js';
import { capturedLog } from './captured-log.js';

const BLOCKED = '不能回答';

describe('incomingSafetyHandler', () => {
  const folder = temporaryFolder('incoming-safety');
  after(() => folder.remove());
  const file = path.join(folder.path, 'filter.yaml');
  writeFileSync(file, 'incoming:\n  block: [禁词]\n  mask: [私事]\noutgoing:\n  block: [只管回答]\n');
  const { log, lines } = capturedLog('info');
  const safety = new ContentSafety({ blockedMessage: BLOCKED, source: new ContentFilterSource({ file, initial: loadContentFilterFile(file), log, watch: false }), log });
  after(() => safety.close());

  /** Runs a router of the handler and a last handler that records what reached it. */
  const route = async (fields: Record<string, string>) => {
    let reached: InboundMessage | undefined;
    const router = new Router().use(incomingSafetyHandler(safety)).use((context) => {
      reached = context.message;
      return { type: 'text', content: 'the agent' };
    });
    const context: HandlerContext = { message: parseMessage({ ToUserName: 'gh_x', FromUserName: 'oUser', CreateTime: '1700000000', MsgId: '1', ...fields }), appId: 'wx1', messageKey: 'k', log };
    return { reply: await router.handle(context), reached };
  };

  it('answers a blocked text itself; the agent is not reached', async () => {
    const { reply, reached } = await route({ MsgType: 'text', Content: '说说禁词' });
    assert.deepEqual(reply, { type: 'text', content: BLOCKED });
    assert.equal(reached, undefined);
  });

  it('hands on a masked text, in the parsed message and its raw fields', async () => {
    const { reached } = await route({ MsgType: 'text', Content: '我的私事' });
    assert.equal(reached?.kind === 'text' && reached.content, '我的**');
    assert.equal(reached?.fields.Content, '我的**');
  });

  it('screens a voice message by its recognition, and a link by its title and description', async () => {
    const voice = await route({ MsgType: 'voice', MediaId: 'm', Format: 'amr', Recognition: '聊聊私事' });
    assert.equal(voice.reached?.kind === 'voice' && voice.reached.recognition, '聊聊**');
    const link = await route({ MsgType: 'link', Title: '一篇文章', Description: '关于禁词', Url: 'https://example.com/a' });
    assert.deepEqual(link.reply, { type: 'text', content: BLOCKED });
    const masked = await route({ MsgType: 'link', Title: '私事', Description: '没什么', Url: 'https://example.com/b' });
    assert.ok(masked.reached?.kind === 'link' && masked.reached.title === '**' && masked.reached.description === '没什么');
  });

  it('passes what it does not screen, and clean text, untouched (outgoing words too)', async () => {
    const text = await route({ MsgType: 'text', Content: '只管回答' });
    assert.equal(text.reached?.kind === 'text' && text.reached.content, '只管回答');
    const image = await route({ MsgType: 'image', PicUrl: 'https://example.com/禁词.png', MediaId: 'm' });
    assert.equal(image.reached?.kind, 'image');
  });

  it('logs findings without the text', () => {
    assert.ok(lines.some((line) => line.msg === 'content blocked' && line.direction === 'incoming'));
    assert.doesNotMatch(JSON.stringify(lines), /禁词|私事/);
  });
});
