/**
 * Parametric QR codes (带参数二维码): scanning one follows the account (if needed) and sends it a
 * subscribe/SCAN event carrying the scene. Temporary codes live up to 30 days and have no quota; permanent
 * ones (scene id 1–100000 or a string of 1–64 characters) are limited to 100000 per account.
 */
import type { WeChatApiClient } from './api-client.js';

/** Where the QR code image of a ticket is served. */
export const DEFAULT_SHOW_QRCODE_URL = 'https://mp.weixin.qq.com/cgi-bin/showqrcode';

/** The longest a temporary QR code can live: 30 days. */
export const MAX_TEMPORARY_EXPIRE_SECONDS = 2_592_000;

export interface QrCode {
  ticket: string;
  /** What the QR code encodes (to render it yourself). */
  url: string;
  /** The QR code image (`showqrcode?ticket=…`). */
  imageUrl: string;
  /** Temporary codes only. */
  expireSeconds?: number;
}

export interface QrcodeApiOptions {
  /** Default `https://mp.weixin.qq.com/cgi-bin/showqrcode`. */
  showQrcodeUrl?: string;
}

type Scene = { scene_id: number } | { scene_str: string };

export class QrcodeApi {
  private readonly showQrcodeUrl: string;

  constructor(
    private readonly client: WeChatApiClient,
    options: QrcodeApiOptions = {},
  ) {
    this.showQrcodeUrl = options.showQrcodeUrl ?? DEFAULT_SHOW_QRCODE_URL;
  }

  /**
   * A temporary code for a scene id (32-bit, non-zero) or a scene string. Without `expireSeconds` WeChat
   * uses 60 s; at most 30 days.
   */
  createTemporary(scene: number | string, expireSeconds?: number): Promise<QrCode> {
    const actionName = typeof scene === 'number' ? 'QR_SCENE' : 'QR_STR_SCENE';
    return this.create(actionName, sceneOf(scene), expireSeconds);
  }

  /** A permanent code for a scene id (1–100000) or a scene string (1–64 characters). */
  createPermanent(scene: number | string): Promise<QrCode> {
    const actionName = typeof scene === 'number' ? 'QR_LIMIT_SCENE' : 'QR_LIMIT_STR_SCENE';
    return this.create(actionName, sceneOf(scene), undefined);
  }

  /** The image URL of a ticket (the ticket URL-encoded, as it may contain `+`, `/` and `=`). */
  imageUrl(ticket: string): string {
    return `${this.showQrcodeUrl}?ticket=${encodeURIComponent(ticket)}`;
  }

  private async create(actionName: string, scene: Scene, expireSeconds: number | undefined): Promise<QrCode> {
    const answer = await this.client.post<{ ticket: string; url: string; expire_seconds?: number }>('/cgi-bin/qrcode/create', {
      expire_seconds: expireSeconds,
      action_name: actionName,
      action_info: { scene },
    });
    return {
      ticket: answer.ticket,
      url: answer.url,
      imageUrl: this.imageUrl(answer.ticket),
      ...(answer.expire_seconds === undefined ? {} : { expireSeconds: answer.expire_seconds }),
    };
  }
}

function sceneOf(scene: number | string): Scene {
  return typeof scene === 'number' ? { scene_id: scene } : { scene_str: scene };
}
