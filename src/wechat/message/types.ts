/**
 * Inbound messages and events, parsed once at the edge into one discriminated union on `kind`.
 *
 * Wire names (`MsgType`, `FromUserName`, …) stay in the XML; here everything is camelCase. Every message keeps
 * `msgType` (and events `event`) exactly as WeChat sent them, so routing can match on the wire values, and
 * `fields`: the flat map of every top-level element, for anything the union does not model.
 * An unrecognised `MsgType` becomes `UnknownMessage` and an unrecognised event `UnknownEvent`: never a throw.
 */

/** Top-level fields of the message XML. Nested elements are objects; repeated ones arrays. */
export type XmlValue = string | XmlRecord | XmlValue[];
export interface XmlRecord {
  [name: string]: XmlValue;
}

interface Base {
  /** Official account id (gh_…), the `ToUserName` of the inbound message. */
  toUserName: string;
  /** The user's openid, the `FromUserName` of the inbound message. */
  fromUserName: string;
  /** Seconds since the epoch, as sent. */
  createTime: number;
  /** `MsgType` as sent. */
  msgType: string;
  /** Every top-level element of the message, as parsed. */
  fields: XmlRecord;
}

/** A user message; `msgId` is a 64-bit id, kept as a decimal string. */
interface UserMessageBase extends Base {
  msgId: string;
}

export interface TextMessage extends UserMessageBase {
  kind: 'text';
  content: string;
  /** Set when the user tapped a menu option inside a customer-service "menu message". */
  bizMsgMenuId?: string;
}

export interface ImageMessage extends UserMessageBase {
  kind: 'image';
  picUrl: string;
  mediaId: string;
}

export interface VoiceMessage extends UserMessageBase {
  kind: 'voice';
  mediaId: string;
  /** amr, speex, … */
  format: string;
  /** Speech recognition result, when the account has recognition switched on. */
  recognition?: string;
}

export interface VideoMessage extends UserMessageBase {
  kind: 'video' | 'shortvideo';
  mediaId: string;
  thumbMediaId: string;
}

export interface LocationMessage extends UserMessageBase {
  kind: 'location';
  latitude: number;
  longitude: number;
  scale: number;
  label: string;
}

export interface LinkMessage extends UserMessageBase {
  kind: 'link';
  title: string;
  description: string;
  url: string;
}

interface EventBase extends Base {
  msgType: 'event';
  /** `Event` as sent (e.g. `subscribe`, `SCAN`, `CLICK`). */
  event: string;
  /** `EventKey` as sent, '' when absent. */
  eventKey: string;
}

export interface SubscribeEvent extends EventBase {
  kind: 'subscribe';
  /** Scene value of a parameterised QR code (`EventKey` without its `qrscene_` prefix), when subscribing by QR. */
  scene?: string;
  ticket?: string;
}

export interface UnsubscribeEvent extends EventBase {
  kind: 'unsubscribe';
}

/** An already-subscribed user scanned a parameterised QR code; `eventKey` is the scene value. */
export interface ScanEvent extends EventBase {
  kind: 'scan';
  ticket: string;
}

/** Periodic location report (`Event` = `LOCATION`). */
export interface LocationEvent extends EventBase {
  kind: 'location-event';
  latitude: number;
  longitude: number;
  precision: number;
}

export interface ClickEvent extends EventBase {
  kind: 'click';
}

/** Menu link opened; `eventKey` is the URL. */
export interface ViewEvent extends EventBase {
  kind: 'view';
  menuId?: string;
}

export interface TemplateSendJobFinishEvent extends EventBase {
  kind: 'template-send-job-finish';
  msgId: string;
  /** `success`, `failed:user block`, `failed: system failed`, … */
  status: string;
}

export interface UnknownEvent extends EventBase {
  kind: 'unknown-event';
}

export interface UnknownMessage extends Base {
  kind: 'unknown';
  /** `MsgId` when the message carried one. */
  msgId?: string;
}

export type UserMessage = TextMessage | ImageMessage | VoiceMessage | VideoMessage | LocationMessage | LinkMessage;
export type WeChatEvent =
  | SubscribeEvent
  | UnsubscribeEvent
  | ScanEvent
  | LocationEvent
  | ClickEvent
  | ViewEvent
  | TemplateSendJobFinishEvent
  | UnknownEvent;
export type InboundMessage = UserMessage | WeChatEvent | UnknownMessage;
export type MessageKind = InboundMessage['kind'];
