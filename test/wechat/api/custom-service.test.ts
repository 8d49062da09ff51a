import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WeChatApiError } from '../../../src/wechat/api/wechat-api-error.js';
import { rejection, startApiFixture, type ApiFixture } from './api-fixture.js';

async function errcodeOf(promise: Promise<unknown>): Promise<number> {
  const error = await rejection(promise);
  assert.ok(error instanceof WeChatApiError, String(error));
  return error.errcode;
}

describe('CustomServiceApi', () => {
  let fixture: ApiFixture;
  before(async () => {
    fixture = await startApiFixture({ fake: { customServiceQuota: 20 } });
  });
  after(() => fixture.close());

  it('sends every kind of message in WeChat\'s wire form', async () => {
    const { api, fake } = fixture;
    const openId = 'o_kinds';
    fake.noteUserMessage(openId);
    const file = { data: Buffer.from('fake image bytes'), fileName: 'a.jpg', contentType: 'image/jpeg' };
    const image = await api.media.uploadTemporary('image', file);
    const voice = await api.media.uploadTemporary('voice', { data: Buffer.from('#!AMR\n'), fileName: 'v.amr', contentType: 'audio/amr' });
    const thumb = await api.media.uploadTemporary('thumb', { ...file, fileName: 't.jpg' });

    await api.customService.sendText(openId, '你好 👋');
    await api.customService.sendImage(openId, image.mediaId);
    await api.customService.sendVoice(openId, voice.mediaId, { kfAccount: 'kf2001@account' });
    await api.customService.sendVideo(openId, { mediaId: image.mediaId, thumbMediaId: thumb.mediaId, title: 'T' });
    await api.customService.sendMusic(openId, { musicUrl: 'https://m.example/a.mp3', hqMusicUrl: 'https://m.example/a.flac', thumbMediaId: thumb.mediaId });
    await api.customService.sendNews(openId, { title: 'News', description: 'D', url: 'https://example.com/a', picUrl: 'https://example.com/p.jpg' });
    await api.customService.sendMpNews(openId, image.mediaId);
    await api.customService.sendMenu(openId, {
      headContent: '您对本次服务是否满意？',
      items: [{ id: '101', content: '满意' }, { id: '102', content: '不满意' }],
      tailContent: '欢迎再来',
    });

    const sent = fake.state.customerServiceMessages.get(openId) ?? [];
    assert.deepEqual(
      sent.map(({ msgtype, content, kfAccount }) => ({ msgtype, content, kfAccount })),
      [
        { msgtype: 'text', content: { content: '你好 👋' }, kfAccount: undefined },
        { msgtype: 'image', content: { media_id: image.mediaId }, kfAccount: undefined },
        { msgtype: 'voice', content: { media_id: voice.mediaId }, kfAccount: 'kf2001@account' },
        { msgtype: 'video', content: { media_id: image.mediaId, thumb_media_id: thumb.mediaId, title: 'T' }, kfAccount: undefined },
        {
          msgtype: 'music',
          content: { musicurl: 'https://m.example/a.mp3', hqmusicurl: 'https://m.example/a.flac', thumb_media_id: thumb.mediaId },
          kfAccount: undefined,
        },
        {
          msgtype: 'news',
          content: { articles: [{ title: 'News', description: 'D', url: 'https://example.com/a', picurl: 'https://example.com/p.jpg' }] },
          kfAccount: undefined,
        },
        { msgtype: 'mpnews', content: { media_id: image.mediaId }, kfAccount: undefined },
        {
          msgtype: 'msgmenu',
          content: {
            head_content: '您对本次服务是否满意？',
            list: [{ id: '101', content: '满意' }, { id: '102', content: '不满意' }],
            tail_content: '欢迎再来',
          },
          kfAccount: undefined,
        },
      ],
    );
  });

  it('shows and cancels the typing indicator', async () => {
    fixture.fake.noteUserMessage('o_typing');
    await fixture.api.customService.typing('o_typing');
    await fixture.api.customService.cancelTyping('o_typing');
    assert.deepEqual(fixture.fake.state.typing.get('o_typing')?.map((event) => event.command), ['Typing', 'CancelTyping']);
    assert.deepEqual(fixture.fake.callsTo('/cgi-bin/message/custom/typing').at(-1)?.body, { touser: 'o_typing', command: 'CancelTyping' });
  });

  it('without the permission both send and typing answer 48001', async () => {
    const { api, fake } = fixture;
    fake.noteUserMessage('o_unverified');
    fake.setCustomServicePermission(false);
    try {
      assert.equal(await errcodeOf(api.customService.typing('o_unverified')), 48001);
      assert.equal(await errcodeOf(api.customService.sendText('o_unverified', 'hi')), 48001);
    } finally {
      fake.setCustomServicePermission(true);
    }
    assert.equal(fake.state.customerServiceMessages.get('o_unverified'), undefined);
  });

  it('outside the 48-hour window: 45015 for messages and typing', async () => {
    const { api, fake } = fixture;
    fake.addUser({ openId: 'o_silent' });
    assert.equal(await errcodeOf(api.customService.sendText('o_silent', 'hi')), 45015);
    assert.equal(await errcodeOf(api.customService.typing('o_silent')), 45015);
    fake.addUser({ openId: 'o_long_ago', lastMessageAt: Date.now() - 49 * 3600_000 });
    assert.equal(await errcodeOf(api.customService.sendText('o_long_ago', 'hi')), 45015);
  });

  it('over the per-message quota: 45047, until the user writes again', async () => {
    const { api, fake } = fixture;
    fake.state.customServiceQuota = 3;
    try {
      fake.noteUserMessage('o_chatty');
      for (let index = 0; index < 3; index++) await api.customService.sendText('o_chatty', `part ${index}`);
      assert.equal(await errcodeOf(api.customService.sendText('o_chatty', 'one too many')), 45047);
      // Typing does not count against the quota.
      await api.customService.typing('o_chatty');
      fake.noteUserMessage('o_chatty');
      await api.customService.sendText('o_chatty', 'after a new message');
      assert.equal(fake.state.customerServiceMessages.get('o_chatty')?.length, 4);
    } finally {
      fake.state.customServiceQuota = 20;
    }
  });

  it('unknown openid 40003, unknown media 40007, text over 2048 bytes 45002', async () => {
    const { api, fake } = fixture;
    fake.noteUserMessage('o_errors');
    assert.equal(await errcodeOf(api.customService.sendText('o_nobody', 'hi')), 40003);
    assert.equal(await errcodeOf(api.customService.sendImage('o_errors', 'no-such-media')), 40007);
    assert.equal(await errcodeOf(api.customService.sendText('o_errors', '字'.repeat(683))), 45002);
    await api.customService.sendText('o_errors', '字'.repeat(682));
  });

  it('a busy answer (-1) to a send is thrown at once, never repeated (the user must not see it twice); typing is retried', async () => {
    const { api, fake } = fixture;
    fake.noteUserMessage('o_busy');
    const before = fake.callsTo('/cgi-bin/message/custom/send').length;
    fake.failNext('/cgi-bin/message/custom/send', -1);
    assert.equal(await errcodeOf(api.customService.sendText('o_busy', 'once')), -1);
    assert.equal(fake.callsTo('/cgi-bin/message/custom/send').length, before + 1);
    fake.failNext('/cgi-bin/message/custom/typing', -1);
    await api.customService.typing('o_busy', 'Typing');
  });
});
