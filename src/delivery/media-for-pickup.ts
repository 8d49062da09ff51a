/**
 * An answer's images and voice made ready to be left for pickup: each is uploaded to WeChat as temporary media
 * now, when the answer is done (a pickup must answer within WeChat's 5 s, and only a media id fits the shared
 * pickup state — never the bytes). What cannot be uploaded — no WeChat API (no `WECHAT_APPSECRET`), or the upload
 * failed — becomes a note the user reads instead, with the media's link when it has a public one, so the user
 * learns that the answer had an image or voice and why it does not come.
 */
import type { Logger } from 'pino';
import type { AnswerMedia } from './live-answer.js';
import type { PickupMedia } from './pickup-box.js';

/** Uploads one media item to WeChat and returns its media id (the customer-service channel's `uploadMedia`). */
export type MediaUploader = (media: AnswerMedia) => Promise<string>;

export interface MediaForPickup {
  /** Uploaded, in the answer's order. */
  uploaded: PickupMedia[];
  /** One line per media item that could not be uploaded; '' when all were. */
  note: string;
}

export async function mediaForPickup(media: readonly AnswerMedia[], upload: MediaUploader | undefined, log: Logger, messageKey: string): Promise<MediaForPickup> {
  const uploaded: PickupMedia[] = [];
  const notes: string[] = [];
  for (const item of media) {
    if (upload === undefined) {
      notes.push(unsentNote(item, '公众号未接入微信接口'));
      continue;
    }
    try {
      uploaded.push({ kind: item.kind, mediaId: await upload(item) });
    } catch (error) {
      log.warn({ err: error, messageKey, kind: item.kind }, 'could not upload the answer\'s media; the user gets a note instead');
      notes.push(unsentNote(item, '上传到微信失败'));
    }
  }
  if (upload === undefined && media.length > 0) {
    log.warn({ messageKey, count: media.length }, 'the answer includes media, but without the WeChat API (WECHAT_APPSECRET) it cannot be uploaded; the user gets a note instead');
  }
  return { uploaded, note: notes.join('\n') };
}

function unsentNote(media: AnswerMedia, reason: string): string {
  const noun = media.kind === 'image' ? '一张图片' : '一段语音';
  const link = media.url !== undefined && /^https?:\/\//i.test(media.url) ? `，可打开链接查看：${media.url}` : '';
  return `（回答中有${noun}，因${reason}未能发送${link}）`;
}
