/**
 * Temporary media and permanent material: uploads keep the bytes, downloads return them.
 */
import type { FakeMedia, FakeMediaType } from './fake-state.js';
import { asObject, FakeFailure, json, ok, randomId, requireString, type FakeAnswer, type FakeContext, type FakeRequest, type FakeRoute } from './fake-route.js';

const MEDIA_TYPES: ReadonlySet<string> = new Set(['image', 'voice', 'video', 'thumb']);

/** WeChat's size limits per type. */
const SIZE_LIMITS: Record<FakeMediaType, number> = {
  image: 10 * 1024 * 1024,
  voice: 2 * 1024 * 1024,
  video: 10 * 1024 * 1024,
  thumb: 64 * 1024,
};

/** Stores the `media` file of an upload, after WeChat's checks (type 40004, no file 41005, size 40006). */
function storeUpload(request: FakeRequest, context: FakeContext, permanent: boolean, extra: Partial<FakeMedia> = {}): FakeMedia {
  const type = request.query.get('type') ?? '';
  if (!MEDIA_TYPES.has(type)) throw new FakeFailure(40004);
  const file = request.form?.files.find((candidate) => candidate.field === 'media');
  if (!file || file.data.length === 0) throw new FakeFailure(41005);
  const mediaType = type as FakeMediaType;
  if (file.data.length > SIZE_LIMITS[mediaType]) throw new FakeFailure(40006);
  const mediaId = randomId(48);
  const media: FakeMedia = {
    mediaId,
    type: mediaType,
    permanent,
    fileName: file.fileName,
    contentType: file.contentType,
    data: file.data,
    createdAt: Math.floor(Date.now() / 1000),
    ...extra,
  };
  context.state.media.set(mediaId, media);
  return media;
}

function fileAnswer(media: FakeMedia): FakeAnswer {
  return { kind: 'file', data: media.data, contentType: media.contentType, fileName: media.fileName };
}

function videoUrl(context: FakeContext, media: FakeMedia): string {
  return `${context.baseUrl}/fake-media?media_id=${encodeURIComponent(media.mediaId)}`;
}

function findMedia(context: FakeContext, mediaId: unknown, permanent: boolean): FakeMedia {
  const media = typeof mediaId === 'string' ? context.state.media.get(mediaId) : undefined;
  if (!media || media.permanent !== permanent) throw new FakeFailure(40007);
  return media;
}

export const mediaRoutes: FakeRoute[] = [
  {
    method: 'POST',
    path: '/cgi-bin/media/upload',
    body: 'multipart',
    handle(request, context) {
      const media = storeUpload(request, context, false);
      const idMember = media.type === 'thumb' ? 'thumb_media_id' : 'media_id';
      return json({ type: media.type, [idMember]: media.mediaId, created_at: media.createdAt });
    },
  },
  {
    method: 'GET',
    path: '/cgi-bin/media/get',
    handle({ query }, context) {
      const media = findMedia(context, query.get('media_id'), false);
      // WeChat gives a video's URL rather than its bytes.
      return media.type === 'video' ? json({ video_url: videoUrl(context, media) }) : fileAnswer(media);
    },
  },
  {
    method: 'GET',
    path: '/cgi-bin/media/get/jssdk',
    handle({ query }, context) {
      const media = findMedia(context, query.get('media_id'), false);
      if (media.type !== 'voice') throw new FakeFailure(40007);
      return { kind: 'file', data: media.data, contentType: 'voice/speex', fileName: `${media.mediaId}.speex` };
    },
  },
  {
    // Where the fake's video URLs point; not a WeChat endpoint.
    method: 'GET',
    path: '/fake-media',
    accessToken: false,
    handle({ query }, context) {
      const media = context.state.media.get(query.get('media_id') ?? '');
      if (!media) throw new FakeFailure(40007);
      return fileAnswer(media);
    },
  },
  {
    method: 'POST',
    path: '/cgi-bin/material/add_material',
    body: 'multipart',
    handle(request, context) {
      let extra: Partial<FakeMedia> = {};
      if (request.query.get('type') === 'video') {
        let description: Record<string, unknown>;
        try {
          description = asObject(JSON.parse(request.form?.fields.description ?? ''));
        } catch {
          throw new FakeFailure(40035, 'invalid args, description is not JSON');
        }
        extra = { title: requireString(description.title, 40035), introduction: String(description.introduction ?? '') };
      }
      const media = storeUpload(request, context, true, extra);
      if (media.type === 'image') media.url = `http://mmbiz.qpic.cn/mmbiz_jpg/${media.mediaId}/0?wx_fmt=jpeg`;
      return json({ media_id: media.mediaId, ...(media.url ? { url: media.url } : {}) });
    },
  },
  {
    method: 'POST',
    path: '/cgi-bin/material/get_material',
    handle({ json: body }, context) {
      const media = findMedia(context, body.media_id, true);
      if (media.type === 'video') {
        return json({ title: media.title ?? '', description: media.introduction ?? '', down_url: videoUrl(context, media) });
      }
      return fileAnswer(media);
    },
  },
  {
    method: 'POST',
    path: '/cgi-bin/material/batchget_material',
    handle({ json: body }, { state }) {
      const type = body.type;
      if (type !== 'image' && type !== 'voice' && type !== 'video' && type !== 'news') throw new FakeFailure(40004);
      const offset = Number(body.offset ?? 0);
      const count = Number(body.count ?? 0);
      if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(count) || count < 1 || count > 20) throw new FakeFailure(40035);
      // Newest first, as WeChat lists them.
      const all = [...state.media.values()].filter((media) => media.permanent && media.type === type).reverse();
      const page = all.slice(offset, offset + count);
      return json({
        total_count: all.length,
        item_count: page.length,
        item: page.map((media) => ({
          media_id: media.mediaId,
          name: media.fileName,
          update_time: media.createdAt,
          ...(media.url ? { url: media.url } : {}),
        })),
      });
    },
  },
  {
    method: 'POST',
    path: '/cgi-bin/material/del_material',
    handle({ json: body }, context) {
      const media = findMedia(context, body.media_id, true);
      context.state.media.delete(media.mediaId);
      return ok();
    },
  },
  {
    method: 'GET',
    path: '/cgi-bin/material/get_materialcount',
    handle(_request, { state }) {
      const count = (type: FakeMediaType): number => [...state.media.values()].filter((media) => media.permanent && media.type === type).length;
      return json({ voice_count: count('voice'), video_count: count('video'), image_count: count('image'), news_count: 0 });
    },
  },
];
