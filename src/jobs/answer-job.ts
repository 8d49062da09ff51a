/**
 * One accepted message whose answer the AI produces: everything a worker on any instance needs to answer it.
 * Plain JSON (it is stored in Redis).
 */
import type { InboundMessage } from '../wechat/message/types.js';

export interface AnswerJob {
  /** The message's dedup key (`appid|MsgId`, …): WeChat's deliveries of it and the job share it. */
  messageKey: string;
  /** The message as parsed from the callback. */
  message: InboundMessage;
  /** When the first delivery reached the receiving instance (`Date.now()`): starts the passive window. */
  arrivedAt: number;
  /** Unguessable id of the answer (the `/a/:id` link, log lines); the same on every attempt of the job. */
  answerId: string;
}
