/**
 * Which interaction WeChat counts a message or event as, for the customer-service allowance it gives (SPEC §4): a
 * user's message allows 5 customer-service messages within 48 h; a menu click, a follow or a QR scan 3 within a
 * minute; other events none.
 */
import type { InboundMessage } from './types.js';

export type Interaction = 'message' | 'menu' | 'subscribe' | 'scan';

/** Menu events the parser does not model that open a customer-service window (scan-code menus). */
const SCAN_MENU_EVENTS: ReadonlySet<string> = new Set(['scancode_push', 'scancode_waitmsg']);

/**
 * Which interaction WeChat counts `message` as, or undefined for events that allow no customer-service messages
 * (unfollow, location reports, menu links and photo or location pickers, notifications). A message of a type the
 * parser does not know is still a message the user sent.
 */
export function interactionOf(message: InboundMessage): Interaction | undefined {
  switch (message.kind) {
    case 'subscribe':
      return 'subscribe';
    case 'scan':
      return 'scan';
    case 'click':
      return 'menu';
    case 'unknown-event':
      return SCAN_MENU_EVENTS.has(message.event.toLowerCase()) ? 'menu' : undefined;
    case 'unsubscribe':
    case 'location-event':
    case 'view':
    case 'template-send-job-finish':
      return undefined;
    default:
      return 'message';
  }
}

