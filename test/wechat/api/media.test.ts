import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TemporaryMediaType } from '../../../src/wechat/api/media.js';
import { WeChatApiError } from '../../../src/wechat/api/wechat-api-error.js';
import { rejection, startApiFixture, type ApiFixture } from './api-fixture.js';

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, index) => index));

describe('MediaApi', () => {
  let fixture: ApiFixture;
  before(async () => {
    fixture = await startApiFixture();
  });
  after(() => fixture.close());

  it('uploads temporary media and downloads the same bytes, type and file name', async () => {
    const { api, fake } = fixture;
    const uploaded = await api.media.uploadTemporary('image', { data: ALL_BYTES, fileName: 'photo.png', contentType: 'image/png' });
    assert.equal(uploaded.type, 'image');
    assert.ok(uploaded.mediaId.length > 20);
    assert.ok(Math.abs(uploaded.createdAt - Date.now() / 1000) < 5);
    assert.deepEqual(fake.callsTo('/cgi-bin/media/upload').at(-1)?.body, {
      fields: {},
      files: [{ field: 'media', fileName: 'photo.png', contentType: 'image/png', size: 256 }],
    });
    const downloaded = await api.media.downloadTemporary(uploaded.mediaId);
    assert.equal(downloaded.kind, 'file');
    if (downloaded.kind !== 'file') return;
    assert.deepEqual(downloaded.body, ALL_BYTES);
    assert.equal(downloaded.contentType, 'image/png');
    assert.equal(downloaded.fileName, 'photo.png');
  });

  it('a thumb\'s id (thumb_media_id) and a video\'s URL instead of bytes', async () => {
    const { api } = fixture;
    const thumb = await api.media.uploadTemporary('thumb', { data: Buffer.from('jpg'), fileName: 't.jpg', contentType: 'image/jpeg' });
    assert.ok(thumb.mediaId);
    const video = await api.media.uploadTemporary('video', { data: Buffer.from('mp4 bytes'), fileName: 'v.mp4', contentType: 'video/mp4' });
    const downloaded = await api.media.downloadTemporary(video.mediaId);
    assert.equal(downloaded.kind, 'video-url');
    if (downloaded.kind !== 'video-url') return;
    const response = await fetch(downloaded.videoUrl);
    assert.equal(Buffer.from(await response.arrayBuffer()).toString(), 'mp4 bytes');
  });

  it('downloads a voice in high definition through media/get/jssdk', async () => {
    const voice = await fixture.api.media.uploadTemporary('voice', { data: Buffer.from('speex?'), fileName: 'v.amr', contentType: 'audio/amr' });
    const hd = await fixture.api.media.downloadHdVoice(voice.mediaId);
    assert.equal(hd.contentType, 'voice/speex');
    assert.equal(hd.body.toString(), 'speex?');
  });

  it('a download endpoint answering a JSON error throws WeChatApiError (40007 for an unknown id)', async () => {
    const error = await rejection(fixture.api.media.downloadTemporary('no-such-media-id'));
    assert.ok(error instanceof WeChatApiError);
    assert.equal(error.errcode, 40007);
    assert.equal(error.path, '/cgi-bin/media/get');
  });

  it('refuses an unknown media type (40004) and an oversized thumb (40006)', async () => {
    const file = { data: Buffer.from('x'), fileName: 'x.bin' };
    const badType = await rejection(fixture.api.media.uploadTemporary('gif' as TemporaryMediaType, file));
    assert.ok(badType instanceof WeChatApiError && badType.errcode === 40004);
    const big = await rejection(fixture.api.media.uploadTemporary('thumb', { data: Buffer.alloc(65 * 1024), fileName: 'big.jpg' }));
    assert.ok(big instanceof WeChatApiError && big.errcode === 40006);
  });

  it('manages permanent material: upload (video with description), get, list, count, delete', async () => {
    const { api, fake } = fixture;
    const image = await api.media.uploadPermanent('image', { data: ALL_BYTES, fileName: 'logo.png', contentType: 'image/png' });
    assert.match(image.url ?? '', /^http:\/\/mmbiz\.qpic\.cn\//);
    const video = await api.media.uploadPermanentVideo(
      { data: Buffer.from('movie'), fileName: 'intro.mp4', contentType: 'video/mp4' },
      { title: '介绍', introduction: 'What "we" do' },
    );
    assert.equal(video.url, undefined);
    const form = fake.callsTo('/cgi-bin/material/add_material').at(-1)?.body as { fields: Record<string, string> };
    assert.deepEqual(JSON.parse(form.fields.description ?? ''), { title: '介绍', introduction: 'What "we" do' });

    const gotImage = await api.media.getPermanent(image.mediaId);
    assert.equal(gotImage.kind, 'file');
    if (gotImage.kind === 'file') assert.deepEqual(gotImage.body, ALL_BYTES);
    const gotVideo = await api.media.getPermanent(video.mediaId);
    assert.equal(gotVideo.kind, 'video');
    if (gotVideo.kind === 'video') {
      assert.equal(gotVideo.title, '介绍');
      assert.equal(gotVideo.description, 'What "we" do');
    }

    assert.deepEqual(await api.media.countPermanent(), { voice: 0, video: 1, image: 1, news: 0 });
    const page = await api.media.listPermanent('image', 0, 20);
    assert.equal(page.totalCount, 1);
    assert.deepEqual(page.items.map((item) => [item.mediaId, item.name, item.url]), [[image.mediaId, 'logo.png', image.url]]);

    await api.media.deletePermanent(image.mediaId);
    assert.deepEqual(await api.media.countPermanent(), { voice: 0, video: 1, image: 0, news: 0 });
    const gone = await rejection(api.media.deletePermanent(image.mediaId));
    assert.ok(gone instanceof WeChatApiError && gone.errcode === 40007);
    // Temporary media is not material, and the other way round.
    const temporary = await api.media.uploadTemporary('image', { data: Buffer.from('t'), fileName: 't.png' });
    const notMaterial = await rejection(api.media.getPermanent(temporary.mediaId));
    assert.ok(notMaterial instanceof WeChatApiError && notMaterial.errcode === 40007);
  });

  it('a permanent video without a title is refused', async () => {
    const error = await rejection(
      fixture.api.media.uploadPermanentVideo({ data: Buffer.from('m'), fileName: 'm.mp4' }, { title: '', introduction: '' }),
    );
    assert.ok(error instanceof WeChatApiError && error.errcode === 40035);
  });

  it('retries an upload after 40001 with a fresh form', async () => {
    fixture.fake.failNext('/cgi-bin/media/upload', 40001);
    const uploaded = await fixture.api.media.uploadTemporary('image', { data: ALL_BYTES, fileName: 'again.png', contentType: 'image/png' });
    const downloaded = await fixture.api.media.downloadTemporary(uploaded.mediaId);
    assert.ok(downloaded.kind === 'file' && downloaded.body.equals(ALL_BYTES));
  });
});
