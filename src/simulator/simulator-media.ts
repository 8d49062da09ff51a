/**
 * Where the simulator keeps the pictures a simulated user sends and reads the media the account answers with.
 * WeChat keeps a user's picture as temporary media: the image message carries its `MediaId` and a `PicUrl`
 * the account's server can fetch. In demo mode the fake WeChat API is that store (src/demo); with a real
 * account (`SIMULATOR_ENABLED=true`) it is WeChat itself, through the media API (`wechatMediaStore`).
 */
import type { MediaApi } from '../wechat/api/media.js';

export interface MediaFile {
  data: Buffer;
  contentType: string;
}

export interface StoredUserImage {
  mediaId: string;
  /** A URL the server (and its AI service) can fetch the picture from. */
  picUrl: string;
}

export interface SimulatorMediaStore {
  /** `selfUrl`: this server's own base URL (for a store that serves the picture through the simulator's routes). */
  storeUserImage(image: MediaFile, options: { selfUrl: string }): Promise<StoredUserImage>;
  /** The bytes of a media file by id, or undefined when the store does not have it. */
  read(mediaId: string): Promise<MediaFile | undefined>;
}

/** The route that serves a media file to the simulator page (and a real account's `PicUrl`). */
export const SIMULATOR_MEDIA_PATH = '/simulator/api/media';

/**
 * A real account's media: a user's picture is uploaded as temporary media (WeChat accepts it from the account,
 * and the server can download it by `MediaId` as it would a real user's), its `PicUrl` this server's own media
 * route — `PUBLIC_BASE_URL` when set, so that a hosted AI service can fetch it.
 */
export function wechatMediaStore(media: MediaApi, publicBaseUrl?: string): SimulatorMediaStore {
  return {
    async storeUserImage({ data, contentType }, { selfUrl }) {
      const extension = contentType.split('/')[1]?.replace(/[^a-z0-9]/gi, '') || 'jpg';
      const uploaded = await media.uploadTemporary('image', { data, fileName: `simulator.${extension}`, contentType });
      return { mediaId: uploaded.mediaId, picUrl: `${publicBaseUrl ?? selfUrl}${SIMULATOR_MEDIA_PATH}/${encodeURIComponent(uploaded.mediaId)}` };
    },
    async read(mediaId) {
      const downloaded = await media.downloadTemporary(mediaId);
      return downloaded.kind === 'file' ? { data: downloaded.body, contentType: downloaded.contentType } : undefined;
    },
  };
}
