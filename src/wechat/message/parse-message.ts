import { MessageFormatError } from './message-format-error.js';
import type {
  InboundMessage,
  SubscribeEvent,
  TextMessage,
  UnknownMessage,
  ViewEvent,
  VoiceMessage,
  WeChatEvent,
  XmlRecord,
} from './types.js';

export { MessageFormatError } from './message-format-error.js';

/**
 * Turns the top-level fields of a decrypted message (`parseXml(...).fields`) into the `InboundMessage` union.
 *
 * Only `ToUserName`, `FromUserName` and `MsgType` are required (non-empty text, else `MessageFormatError`).
 * Everything else is lenient, because WeChat adds and drops fields over time: a missing or non-text optional
 * field reads as '' (or is left out when the type marks it optional), numbers go through `Number()` with
 * anything non-finite read as 0, ids (`MsgId`, `MsgID`) stay strings so 64-bit values survive. `MsgType` and
 * `Event` are matched case-insensitively (WeChat writes `subscribe` but `SCAN`, `LOCATION`, `CLICK`, `VIEW`)
 * and kept as sent — except that every event's `msgType` is `'event'`. An unknown `MsgType` or `Event` becomes
 * `unknown` / `unknown-event`, never a throw.
 */
export function parseMessage(fields: XmlRecord): InboundMessage {
  // Literals below start with `kind` and then spread `base`: in V8 (Node 20) an object literal that *starts*
  // with a spread and then adds properties takes a slow path (~2 µs instead of ~80 ns).
  const base = {
    toUserName: requiredText(fields, 'ToUserName'),
    fromUserName: requiredText(fields, 'FromUserName'),
    createTime: numberField(fields, 'CreateTime'),
    msgType: requiredText(fields, 'MsgType'),
    fields,
  };
  const msgId = text(fields, 'MsgId');
  switch (base.msgType.toLowerCase()) {
    case 'text': {
      const message: TextMessage = { kind: 'text', ...base, msgId, content: text(fields, 'Content') };
      const bizMsgMenuId = text(fields, 'bizmsgmenuid');
      if (bizMsgMenuId !== '') message.bizMsgMenuId = bizMsgMenuId;
      return message;
    }
    case 'image':
      return { kind: 'image', ...base, msgId, picUrl: text(fields, 'PicUrl'), mediaId: text(fields, 'MediaId') };
    case 'voice': {
      const message: VoiceMessage = {
        kind: 'voice',
        ...base,
        msgId,
        mediaId: text(fields, 'MediaId'),
        format: text(fields, 'Format'),
      };
      // Present only when the account has speech recognition on; an empty result counts as absent.
      const recognition = text(fields, 'Recognition');
      if (recognition !== '') message.recognition = recognition;
      return message;
    }
    case 'video':
    case 'shortvideo':
      return {
        kind: base.msgType.toLowerCase() === 'video' ? 'video' : 'shortvideo',
        ...base,
        msgId,
        mediaId: text(fields, 'MediaId'),
        thumbMediaId: text(fields, 'ThumbMediaId'),
      };
    case 'location':
      return {
        kind: 'location',
        ...base,
        msgId,
        latitude: numberField(fields, 'Location_X'),
        longitude: numberField(fields, 'Location_Y'),
        scale: numberField(fields, 'Scale'),
        label: text(fields, 'Label'),
      };
    case 'link':
      return {
        kind: 'link',
        ...base,
        msgId,
        title: text(fields, 'Title'),
        description: text(fields, 'Description'),
        url: text(fields, 'Url'),
      };
    case 'event':
      return parseEvent({
        toUserName: base.toUserName,
        fromUserName: base.fromUserName,
        createTime: base.createTime,
        msgType: 'event',
        fields,
        event: text(fields, 'Event'),
        eventKey: text(fields, 'EventKey'),
      });
    default: {
      const message: UnknownMessage = { kind: 'unknown', ...base };
      if (msgId !== '') message.msgId = msgId;
      return message;
    }
  }
}

type EventCommon = Pick<WeChatEvent, 'toUserName' | 'fromUserName' | 'createTime' | 'fields' | 'event' | 'eventKey'> & {
  msgType: 'event';
};

const QR_SCENE_PREFIX = 'qrscene_';

function parseEvent(common: EventCommon): WeChatEvent {
  const { fields } = common;
  switch (common.event.toLowerCase()) {
    case 'subscribe': {
      // Subscribing by scanning a parameterised QR code: EventKey is `qrscene_<scene>` and a Ticket comes along.
      const scene = common.eventKey.startsWith(QR_SCENE_PREFIX) ? common.eventKey.slice(QR_SCENE_PREFIX.length) : '';
      const ticket = text(fields, 'Ticket');
      const event: SubscribeEvent = { kind: 'subscribe', ...common };
      if (scene !== '') event.scene = scene;
      if (ticket !== '') event.ticket = ticket;
      return event;
    }
    case 'unsubscribe':
      return { kind: 'unsubscribe', ...common };
    case 'scan':
      return { kind: 'scan', ...common, ticket: text(fields, 'Ticket') };
    case 'location':
      return {
        kind: 'location-event',
        ...common,
        latitude: numberField(fields, 'Latitude'),
        longitude: numberField(fields, 'Longitude'),
        precision: numberField(fields, 'Precision'),
      };
    case 'click':
      return { kind: 'click', ...common };
    case 'view': {
      const event: ViewEvent = { kind: 'view', ...common };
      const menuId = text(fields, 'MenuId');
      if (menuId !== '') event.menuId = menuId;
      return event;
    }
    case 'templatesendjobfinish':
      // WeChat spells the id `MsgID` in this event (and `MsgId` everywhere else); accept either.
      return {
        kind: 'template-send-job-finish',
        ...common,
        msgId: text(fields, 'MsgID') || text(fields, 'MsgId'),
        status: text(fields, 'Status'),
      };
    default:
      return { kind: 'unknown-event', ...common };
  }
}

/** The field's text, or '' when it is missing or not text (a nested element or a repeated one). */
function text(fields: XmlRecord, name: string): string {
  const value = fields[name];
  return typeof value === 'string' ? value : '';
}

function requiredText(fields: XmlRecord, name: string): string {
  const value = text(fields, name);
  if (value === '') throw new MessageFormatError(name);
  return value;
}

function numberField(fields: XmlRecord, name: string): number {
  const value = Number(text(fields, name));
  return Number.isFinite(value) ? value : 0;
}
