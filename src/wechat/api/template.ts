/**
 * Template messages (模板消息): pushes to a follower in a template the account picked, outside the 48-hour
 * customer-service window. Their `msgid` is a 64-bit integer, kept exact as a decimal string.
 */
import type { WeChatApiClient } from './api-client.js';

/** A template field: its value, or the value with a colour (`#RRGGBB`, ignored by newer WeChat clients). */
export type TemplateFieldValue = string | { value: string; color?: string };

export interface TemplateMessage {
  openId: string;
  templateId: string;
  /** Keys are the template's placeholders (`{{first.DATA}}` → `first`). */
  data: Record<string, TemplateFieldValue>;
  /** Page opened on tap. */
  url?: string;
  /** Mini program opened on tap (preferred over `url` when both are given). */
  miniProgram?: { appId: string; pagePath?: string };
  /** Makes the send idempotent: WeChat drops a second send with the same id. */
  clientMessageId?: string;
}

export interface Template {
  templateId: string;
  title: string;
  primaryIndustry: string;
  deputyIndustry: string;
  content: string;
  example: string;
}

interface WireTemplate {
  template_id: string;
  title: string;
  primary_industry?: string;
  deputy_industry?: string;
  content?: string;
  example?: string;
}

export class TemplateApi {
  constructor(private readonly client: WeChatApiClient) {}

  /** Sends a template message; resolves to its `msgid` as an exact decimal string. */
  async send(message: TemplateMessage): Promise<string> {
    const data = Object.fromEntries(
      Object.entries(message.data).map(([key, field]) => [key, typeof field === 'string' ? { value: field } : field]),
    );
    const answer = await this.client.post<{ msgid: number | string }>('/cgi-bin/message/template/send', {
      touser: message.openId,
      template_id: message.templateId,
      url: message.url,
      miniprogram: message.miniProgram ? { appid: message.miniProgram.appId, pagepath: message.miniProgram.pagePath } : undefined,
      client_msg_id: message.clientMessageId,
      data,
    }, { retryWhenBusy: message.clientMessageId !== undefined }); // WeChat drops a repeat only with client_msg_id
    // parseJson gives an unsafe integer as a string; a safe one is a number and converts exactly.
    return String(answer.msgid);
  }

  /** The templates the account has added. */
  async list(): Promise<Template[]> {
    const answer = await this.client.get<{ template_list?: WireTemplate[] }>('/cgi-bin/template/get_all_private_template');
    return (answer.template_list ?? []).map((template) => ({
      templateId: template.template_id,
      title: template.title,
      primaryIndustry: template.primary_industry ?? '',
      deputyIndustry: template.deputy_industry ?? '',
      content: template.content ?? '',
      example: template.example ?? '',
    }));
  }

  async delete(templateId: string): Promise<void> {
    await this.client.post('/cgi-bin/template/del_private_template', { template_id: templateId });
  }
}
