/**
 * Messages the account pushes: customer-service messages (with WeChat's permission, window and quota), the typing
 * indicator, and template messages.
 *
 * WeChat's customer-service rules (since 2023), which `grantCustomerServiceMessages` models: a user's message allows
 * 5 messages within 48 hours; a menu click, a follow or a QR scan 3 within 1 minute. Allowances do not add up: an
 * interaction sets what is left to the larger of what is left and its grant, and the window end to the later of
 * the two. Outside the window WeChat answers 45015, over the allowance 45047. The product keeps its own account of
 * these rules (src/delivery/state/customer-service-ledger.ts); this one is written apart from it on purpose, so
 * that end-to-end tests check the product against WeChat's rule rather than against itself.
 */
import { utf8ByteLength } from '../../delivery/text/split-by-bytes.js';
import { MESSAGE_WINDOW_MS, type FakeInteraction, type FakeTypingEvent, type FakeUser, type FakeWeChatState } from './fake-state.js';
import {
  asObject,
  FakeFailure,
  json,
  ok,
  requireString,
  requireUser,
  type FakeContext,
  type FakeRoute,
} from './fake-route.js';

const EVENT_WINDOW_MS = 60_000;
const TEXT_LIMIT_BYTES = 2048;

/** Raises what the account may send `user` after `interaction` at `now`, as WeChat does. */
export function grantCustomerServiceMessages(state: FakeWeChatState, user: FakeUser, interaction: FakeInteraction, now = Date.now()): void {
  const [messages, windowMs] = interaction === 'message' ? [state.customServiceQuota, MESSAGE_WINDOW_MS] : [state.customServiceEventQuota, EVENT_WINDOW_MS];
  const windowEndsAt = user.customerServiceWindowEndsAt;
  // What is left of a window that has ended counts for nothing.
  const open = windowEndsAt !== undefined && now < windowEndsAt;
  user.customerServiceMessagesLeft = Math.max(open ? user.customerServiceMessagesLeft : 0, messages);
  user.customerServiceWindowEndsAt = open ? Math.max(windowEndsAt, now + windowMs) : now + windowMs;
}

/** Throws what WeChat answers when the account may not send this user a customer-service message now. */
function checkCustomerServiceAllowed(user: FakeUser): void {
  if (!user.subscribed || user.customerServiceWindowEndsAt === undefined || Date.now() >= user.customerServiceWindowEndsAt) {
    throw new FakeFailure(45015);
  }
}

function requireMedia(context: FakeContext, mediaId: unknown): void {
  if (typeof mediaId !== 'string' || !context.state.media.has(mediaId)) throw new FakeFailure(40007);
}

/** Validates the member named by `msgtype` the way WeChat does, as far as the fake knows it. */
function checkMessage(context: FakeContext, msgtype: string, member: Record<string, unknown>): void {
  switch (msgtype) {
    case 'text': {
      const content = requireString(member.content, 44003);
      if (utf8ByteLength(content) > TEXT_LIMIT_BYTES) throw new FakeFailure(45002);
      return;
    }
    case 'image':
    case 'voice':
    case 'video':
    case 'mpnews':
      requireMedia(context, member.media_id);
      return;
    case 'music':
      requireString(member.musicurl, 40035);
      requireMedia(context, member.thumb_media_id);
      return;
    case 'news': {
      const articles = member.articles;
      if (!Array.isArray(articles) || articles.length === 0) throw new FakeFailure(44003);
      if (articles.length > 1) throw new FakeFailure(45008);
      requireString(asObject(articles[0]).url, 40035);
      return;
    }
    case 'msgmenu': {
      const list = member.list;
      if (!Array.isArray(list) || list.length === 0) throw new FakeFailure(40035);
      for (const item of list) requireString(asObject(item).content, 40035);
      return;
    }
    case 'wxcard':
    case 'miniprogrampage':
    case 'mpnewsarticle':
      return;
    default:
      throw new FakeFailure(40008);
  }
}

export const messageRoutes: FakeRoute[] = [
  {
    method: 'POST',
    path: '/cgi-bin/message/custom/send',
    handle({ json: body }, context) {
      const { state } = context;
      if (!state.customServicePermission) throw new FakeFailure(48001);
      const user = requireUser(context, body.touser);
      const msgtype = requireString(body.msgtype, 40008);
      const member = body[msgtype];
      if (member === undefined) throw new FakeFailure(44002);
      checkMessage(context, msgtype, asObject(member));
      checkCustomerServiceAllowed(user);
      if (user.customerServiceMessagesLeft <= 0) throw new FakeFailure(45047);
      user.customerServiceMessagesLeft--;
      const kfAccount = asObject(body.customservice).kf_account;
      const sent = state.customerServiceMessages.get(user.openId) ?? [];
      const message = { msgtype, content: member, ...(typeof kfAccount === 'string' ? { kfAccount } : {}), at: Date.now() };
      sent.push(message);
      state.customerServiceMessages.set(user.openId, sent);
      context.publish({ kind: 'customer-service', openId: user.openId, message });
      return ok();
    },
  },
  {
    method: 'POST',
    path: '/cgi-bin/message/custom/typing',
    handle({ json: body }, context) {
      const { state } = context;
      if (!state.customServicePermission) throw new FakeFailure(48001);
      const user = requireUser(context, body.touser);
      const command = body.command;
      if (command !== 'Typing' && command !== 'CancelTyping') throw new FakeFailure(40035);
      checkCustomerServiceAllowed(user);
      const events = state.typing.get(user.openId) ?? [];
      const typing: FakeTypingEvent = { command, at: Date.now() };
      events.push(typing);
      state.typing.set(user.openId, events);
      context.publish({ kind: 'typing', openId: user.openId, typing });
      return ok();
    },
  },
  {
    method: 'POST',
    path: '/cgi-bin/message/template/send',
    handle({ json: body }, context) {
      const { state } = context;
      const templateId = requireString(body.template_id, 40037);
      if (!state.templates.has(templateId)) throw new FakeFailure(40037);
      const user = requireUser(context, body.touser);
      if (!user.subscribed) throw new FakeFailure(43004);
      if (body.data === null || typeof body.data !== 'object') throw new FakeFailure(47003, 'argument invalid! data invalid');
      const msgid = state.next.msgid++;
      state.templateMessages.push({
        msgid,
        openId: user.openId,
        templateId,
        data: body.data,
        ...(typeof body.url === 'string' ? { url: body.url } : {}),
        ...(body.miniprogram === undefined ? {} : { miniProgram: body.miniprogram }),
        at: Date.now(),
      });
      // A bigint: written as a bare 64-bit integer, as WeChat does.
      return ok({ msgid });
    },
  },
  {
    method: 'GET',
    path: '/cgi-bin/template/get_all_private_template',
    handle(_request, { state }) {
      return json({
        template_list: [...state.templates.values()].map((template) => ({
          template_id: template.templateId,
          title: template.title,
          primary_industry: template.primaryIndustry,
          deputy_industry: template.deputyIndustry,
          content: template.content,
          example: template.example,
        })),
      });
    },
  },
  {
    method: 'POST',
    path: '/cgi-bin/template/del_private_template',
    handle({ json: body }, { state }) {
      const templateId = requireString(body.template_id, 40037);
      if (!state.templates.delete(templateId)) throw new FakeFailure(40037);
      return ok();
    },
  },
];
