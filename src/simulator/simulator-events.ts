/**
 * What the web simulator shows of one user's chat, as a stream of events (the page's `EventSource` and
 * `wx-backend simulate` read them as JSON): what the user sent, how WeChat's deliveries went, the passive reply,
 * the customer-service messages and the typing indicator. Media are URL paths under the simulator's own routes
 * (`/simulator/api/media/…`): the page never talks to WeChat or to the fake WeChat API itself.
 */
import type { DeliveryStatus } from './deliver-like-wechat.js';

/** What the account sent the user, as a chat shows it. */
export type AccountMessage =
  | { kind: 'text'; text: string }
  | { kind: 'image'; url: string }
  | { kind: 'voice'; url: string }
  | { kind: 'video'; url: string; title?: string; description?: string }
  | { kind: 'music'; title?: string; description?: string; url?: string }
  | { kind: 'news'; articles: NewsItem[] }
  /** A customer-service "menu message": options the user can tap (each sends its text). */
  | { kind: 'options'; head?: string; options: string[]; tail?: string }
  /** Something WeChat shows as a system line (a hand-off to human agents, a type the simulator cannot draw). */
  | { kind: 'notice'; text: string };

export interface NewsItem {
  title: string;
  description?: string;
  picUrl?: string;
  url?: string;
}

/** What the user sent. */
export type UserMessage =
  | { kind: 'text'; text: string }
  | { kind: 'image'; url: string }
  /** A menu click, a follow…: `label` is the button's name when there is one. */
  | { kind: 'event'; event: string; eventKey?: string; label?: string };

/**
 * How WeChat's delivery of one message ended, as the user experiences it:
 * - `passive`: a reply came with the answer (shown by the `passive-reply` event);
 * - `success` / `empty`: the server answered without a reply — the answer, if any, follows as customer-service messages;
 * - `no-answer`: no delivery got a 200, WeChat gave up: the user sees nothing;
 * - `unreadable`: a 200 WeChat could not read (bad signature, not a reply): the user sees nothing;
 * - `stopped`: the simulator shut down meanwhile.
 */
export type ExchangeOutcome = 'passive' | 'success' | 'empty' | 'no-answer' | 'unreadable' | 'stopped';

export type SimulatorEventBody =
  | { type: 'user-message'; messageId: string; message: UserMessage }
  | { type: 'delivery'; messageId: string; number: number; status: DeliveryStatus; ms: number }
  | { type: 'passive-reply'; messageId: string; message: AccountMessage }
  | { type: 'customer-service-message'; message: AccountMessage }
  | { type: 'typing'; on: boolean }
  | { type: 'exchange-end'; messageId: string; outcome: ExchangeOutcome; detail?: string };

/** An event as published: `id` grows across all users (a page that reconnects skips what it has), `at` is Date.now(). */
export type SimulatorEvent = SimulatorEventBody & { id: number; at: number };
