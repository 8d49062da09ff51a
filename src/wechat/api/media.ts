/**
 * Media: temporary media (kept by WeChat for 3 days; what messages send and what users send us) and permanent
 * material (the account's library).
 */
import type { DownloadedFile, UploadFile, WeChatApiClient } from './api-client.js';

export type TemporaryMediaType = 'image' | 'voice' | 'video' | 'thumb';
export type PermanentMediaType = 'image' | 'voice' | 'video' | 'thumb';
export type MaterialListType = 'image' | 'voice' | 'video' | 'news';

export interface UploadedTemporaryMedia {
  type: TemporaryMediaType;
  mediaId: string;
  /** Unix seconds. */
  createdAt: number;
}

export interface UploadedPermanentMedia {
  mediaId: string;
  /** Only for images: the URL WeChat serves them under (usable inside articles). */
  url?: string;
}

/** What a media download gives: the bytes, or for a video only a URL to fetch it from. */
export type DownloadedMedia = ({ kind: 'file' } & DownloadedFile) | { kind: 'video-url'; videoUrl: string };

export type PermanentMedia =
  | ({ kind: 'file' } & DownloadedFile)
  | { kind: 'video'; title: string; description: string; downloadUrl: string }
  /** An article (news) material, as WeChat sends it (`news_item`). */
  | { kind: 'news'; newsItems: unknown[] };

export interface MaterialItem {
  mediaId: string;
  name?: string;
  /** Unix seconds. */
  updateTime: number;
  url?: string;
  /** News materials only, as WeChat sends it. */
  content?: unknown;
}

export interface MaterialPage {
  totalCount: number;
  itemCount: number;
  items: MaterialItem[];
}

export interface MaterialCount {
  voice: number;
  video: number;
  image: number;
  news: number;
}

interface WireMaterialItem {
  media_id: string;
  name?: string;
  update_time: number;
  url?: string;
  content?: unknown;
}

export class MediaApi {
  constructor(private readonly client: WeChatApiClient) {}

  async uploadTemporary(type: TemporaryMediaType, file: UploadFile): Promise<UploadedTemporaryMedia> {
    const answer = await this.client.upload<{ type?: string; media_id?: string; thumb_media_id?: string; created_at: number | string }>(
      '/cgi-bin/media/upload',
      { file },
      { query: { type } },
    );
    // A thumb's id comes back as thumb_media_id.
    const mediaId = answer.media_id ?? answer.thumb_media_id ?? '';
    return { type, mediaId, createdAt: Number(answer.created_at) };
  }

  /** A temporary media's bytes (or, for a video, its URL). Unknown or expired ids: WeChatApiError 40007. */
  async downloadTemporary(mediaId: string): Promise<DownloadedMedia> {
    return asDownloadedMedia(await this.client.download('/cgi-bin/media/get', { query: { media_id: mediaId } }));
  }

  /** High-definition (16 kHz speex) form of a voice recorded through the JS-SDK. */
  async downloadHdVoice(mediaId: string): Promise<DownloadedFile> {
    return this.client.download('/cgi-bin/media/get/jssdk', { query: { media_id: mediaId } });
  }

  async uploadPermanent(type: Exclude<PermanentMediaType, 'video'>, file: UploadFile): Promise<UploadedPermanentMedia> {
    return this.addMaterial(type, file);
  }

  /** A video needs a title and an introduction, sent as the `description` field. */
  async uploadPermanentVideo(file: UploadFile, description: { title: string; introduction: string }): Promise<UploadedPermanentMedia> {
    return this.addMaterial('video', file, { description: JSON.stringify(description) });
  }

  async getPermanent(mediaId: string): Promise<PermanentMedia> {
    const file = await this.client.download('/cgi-bin/material/get_material', { body: { media_id: mediaId } });
    const answer = jsonOf(file);
    if (answer && typeof answer.down_url === 'string') {
      return { kind: 'video', title: String(answer.title ?? ''), description: String(answer.description ?? ''), downloadUrl: answer.down_url };
    }
    if (answer && Array.isArray(answer.news_item)) return { kind: 'news', newsItems: answer.news_item };
    return { kind: 'file', ...file };
  }

  /** One page (`count` 1–20) of the library's materials of one type, newest first. */
  async listPermanent(type: MaterialListType, offset = 0, count = 20): Promise<MaterialPage> {
    const answer = await this.client.post<{ total_count: number; item_count: number; item?: WireMaterialItem[] }>(
      '/cgi-bin/material/batchget_material',
      { type, offset, count },
    );
    return {
      totalCount: answer.total_count,
      itemCount: answer.item_count,
      items: (answer.item ?? []).map((item) => ({
        mediaId: item.media_id,
        updateTime: item.update_time,
        ...(item.name === undefined ? {} : { name: item.name }),
        ...(item.url === undefined ? {} : { url: item.url }),
        ...(item.content === undefined ? {} : { content: item.content }),
      })),
    };
  }

  async deletePermanent(mediaId: string): Promise<void> {
    await this.client.post('/cgi-bin/material/del_material', { media_id: mediaId });
  }

  async countPermanent(): Promise<MaterialCount> {
    const answer = await this.client.get<{ voice_count: number; video_count: number; image_count: number; news_count: number }>(
      '/cgi-bin/material/get_materialcount',
    );
    return { voice: answer.voice_count, video: answer.video_count, image: answer.image_count, news: answer.news_count };
  }

  private async addMaterial(type: PermanentMediaType, file: UploadFile, fields?: Record<string, string>): Promise<UploadedPermanentMedia> {
    const answer = await this.client.upload<{ media_id: string; url?: string }>(
      '/cgi-bin/material/add_material',
      { file, ...(fields ? { fields } : {}) },
      { query: { type } },
    );
    return { mediaId: answer.media_id, ...(answer.url ? { url: answer.url } : {}) };
  }
}

function asDownloadedMedia(file: DownloadedFile): DownloadedMedia {
  const answer = jsonOf(file);
  if (answer && typeof answer.video_url === 'string') return { kind: 'video-url', videoUrl: answer.video_url };
  return { kind: 'file', ...file };
}

/** The JSON object of a download that WeChat answered with JSON instead of bytes. */
function jsonOf(file: DownloadedFile): Record<string, unknown> | undefined {
  if (!/json|^text\/plain/i.test(file.contentType)) return undefined;
  try {
    const value: unknown = JSON.parse(file.body.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
