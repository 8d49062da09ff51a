/**
 * The customer-service (客服) message ledger every instance shares: how many customer-service messages WeChat still
 * lets the account send each user, and which messages of each answer were already sent. It exists so that no
 * instance — whichever picks up an answer, also after another died halfway through it — ever sends WeChat a message
 * it will refuse (45047 over the allowance, 45015 outside the window) or sends a user the same message twice.
 *
 * WeChat's rules (since 2023): a user's message lets the account send that user 5 customer-service messages within
 * 48 hours; a menu click (`click`, `scancode_push`, `scancode_waitmsg` events), a follow or a QR-code scan lets it
 * send 3 within 1 minute. Allowances do not add up: an interaction sets the allowance to the larger of what is left
 * and its own grant, and the window end to the later of the two. So a click right after a message leaves 5 for
 * 48 hours, not 8; a click after 4 of those 5 were used leaves 3 until the message's window ends.
 *
 * Implementations: `MemoryCustomerServiceLedger` (one instance) and `RedisCustomerServiceLedger` (shared); both pass
 * test/delivery/customer-service-ledger.contract.ts. Everything they keep expires: an allowance at its window end,
 * an answer's record a few hours after its last message (it matters only while the answer is being delivered).
 */

/** What a user did that lets the account send customer-service messages. */
import type { Interaction } from '../../wechat/message/interaction.js';

export type { Interaction };

/** What one interaction allows: `messages` customer-service messages within `windowMs` of it. */
export interface CustomerServiceGrant {
  messages: number;
  windowMs: number;
}

export type CustomerServiceGrants = Readonly<Record<Interaction, Readonly<CustomerServiceGrant>>>;

const MINUTE_MS = 60_000;

/** WeChat's grants (2023+). */
export const WECHAT_CUSTOMER_SERVICE_GRANTS: CustomerServiceGrants = Object.freeze({
  message: Object.freeze({ messages: 5, windowMs: 48 * 60 * MINUTE_MS }),
  menu: Object.freeze({ messages: 3, windowMs: MINUTE_MS }),
  subscribe: Object.freeze({ messages: 3, windowMs: MINUTE_MS }),
  scan: Object.freeze({ messages: 3, windowMs: MINUTE_MS }),
});

/** How long an answer's record is kept after its last `take`: far longer than any delivery lasts. */
export const ANSWER_RECORD_TTL_MS = 6 * 60 * MINUTE_MS;

export type TakeOutcome = 'ok' | 'quota' | 'taken';

export interface CustomerServiceLedger {
  /**
   * Records a user interaction — call it once per message or event (its first delivery, not WeChat's retries):
   * the user's allowance becomes max(what is left, the interaction's grant) until the later of the two window ends.
   */
  grant(openId: string, interaction: Interaction): Promise<void>;

  /** Messages the user may still be sent now (0 when the window has passed or nothing was granted). */
  allowance(openId: string): Promise<number>;

  /**
   * Texts recorded for the answer to `messageKey` (the message's dedup key), in order: sent, or being sent when an
   * instance died. An instance taking over an answer resumes at index `sent(messageKey).length`.
   */
  sent(messageKey: string): Promise<string[]>;

  /**
   * Records message number `index` (0-based) of the answer to `messageKey` as about to be sent, atomically with
   * taking one from the user's allowance:
   * - `'ok'`: recorded and taken; send it. A send that then fails stays recorded and counted (WeChat may have
   *   counted it too), so it is never sent twice.
   * - `'taken'`: message `index` of this answer is already recorded (another worker is on the same answer);
   *   nothing changed.
   * - `'quota'`: the allowance is used up or its window has passed; nothing changed.
   * `text` is what will be sent (for media a short description such as `'[image]'`).
   * Rejects with a RangeError when `index` is not a non-negative integer or skips an unrecorded message
   * (`index` > `sent(messageKey).length`): that is a caller's bug, not a race.
   */
  take(openId: string, messageKey: string, index: number, text: string): Promise<TakeOutcome>;

  /**
   * Notes that WeChat accepted message `index` of the answer to `messageKey`. A message recorded by `take` but not
   * confirmed was being sent when its instance died: whether it arrived is unknown (see `confirmed`).
   */
  confirm(messageKey: string, index: number): Promise<void>;

  /** How many messages of the answer to `messageKey`, from the first, WeChat is known to have accepted. */
  confirmed(messageKey: string): Promise<number>;

  /** Releases what the ledger holds itself (a Redis ledger leaves its connection to its owner). */
  close(): Promise<void>;
}

/** Options both implementations take. */
export interface CustomerServiceLedgerOptions {
  /** The clock, ms since the epoch; default `Date.now` (tests pass their own). */
  now?: () => number;
  /** Default `WECHAT_CUSTOMER_SERVICE_GRANTS`. */
  grants?: CustomerServiceGrants;
}

/** The RangeError `take` rejects with for an index that is not a non-negative integer. */
export function checkIndex(index: number): void {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`message index must be a non-negative integer, got ${index}`);
}

/** The RangeError `take` rejects with for an index past the end of the answer's record. */
export function skippedIndexError(messageKey: string, index: number, recorded: number): RangeError {
  return new RangeError(`message ${index} of the answer to ${messageKey} skips message ${recorded}, which is not recorded`);
}
