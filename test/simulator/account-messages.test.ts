import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { customerServiceMessage, passiveReplyMessage } from '../../src/simulator/account-messages.js';
import { parseXml } from '../../src/wechat/xml/parse-xml.js';
import { buildReplyXml } from '../../src/wechat/reply/build-reply.js';
import type { Reply } from '../../src/wechat/reply/types.js';

const mediaUrl = (mediaId: string): string => `/media/${mediaId}`;
/** A passive reply as the callback writes it, read back as WeChat reads it. */
const passive = (reply: Reply) => passiveReplyMessage(parseXml(buildReplyXml(reply, { toUserName: 'oUser', fromUserName: 'gh_account', createTime: 1 })).fields, mediaUrl);

describe('what the user sees of the account\'s messages', () => {
  it('passive replies as the callback builds them: text, image, voice, video, news, music, hand-off', () => {
    assert.deepEqual(passive({ type: 'text', content: 'a ]]> b' }), { kind: 'text', text: 'a ]]> b' });
    assert.deepEqual(passive({ type: 'image', mediaId: 'M1' }), { kind: 'image', url: '/media/M1' });
    assert.deepEqual(passive({ type: 'voice', mediaId: 'M2' }), { kind: 'voice', url: '/media/M2' });
    assert.deepEqual(passive({ type: 'video', mediaId: 'M3', title: '片', description: '说明' }), { kind: 'video', url: '/media/M3', title: '片', description: '说明' });
    assert.deepEqual(passive({ type: 'news', articles: [{ title: 'T1', url: 'https://a.example/1' }, { title: 'T2', description: 'D2', picUrl: 'https://a.example/p.jpg' }] }), {
      kind: 'news',
      articles: [{ title: 'T1', url: 'https://a.example/1' }, { title: 'T2', description: 'D2', picUrl: 'https://a.example/p.jpg' }],
    });
    assert.deepEqual(passive({ type: 'music', title: '歌', thumbMediaId: 'T', musicUrl: 'https://a.example/m.mp3' }), { kind: 'music', title: '歌', url: 'https://a.example/m.mp3' });
    assert.deepEqual(passiveReplyMessage({ MsgType: 'transfer_customer_service' }, mediaUrl), { kind: 'notice', text: '已转接人工客服' });
    assert.deepEqual(passiveReplyMessage({ MsgType: 'image', Image: {} }, mediaUrl), { kind: 'notice', text: '[image without a MediaId]' });
  });

  it('customer-service messages in the API\'s JSON form', () => {
    assert.deepEqual(customerServiceMessage('text', { content: '你好' }, mediaUrl), { kind: 'text', text: '你好' });
    assert.deepEqual(customerServiceMessage('image', { media_id: 'M1' }, mediaUrl), { kind: 'image', url: '/media/M1' });
    assert.deepEqual(customerServiceMessage('voice', { media_id: 'M2' }, mediaUrl), { kind: 'voice', url: '/media/M2' });
    assert.deepEqual(customerServiceMessage('news', { articles: [{ title: 'T', url: 'https://a.example/', picurl: 'https://a.example/p.jpg' }] }, mediaUrl), {
      kind: 'news',
      articles: [{ title: 'T', url: 'https://a.example/', picUrl: 'https://a.example/p.jpg' }],
    });
    assert.deepEqual(customerServiceMessage('msgmenu', { head_content: '请选择', list: [{ id: '1', content: '满意' }, { id: '2', content: '不满意' }], tail_content: '谢谢' }, mediaUrl), {
      kind: 'options',
      head: '请选择',
      options: ['满意', '不满意'],
      tail: '谢谢',
    });
    assert.deepEqual(customerServiceMessage('wxcard', { card_id: 'c' }, mediaUrl), { kind: 'notice', text: '[wxcard message]' });
  });
});
