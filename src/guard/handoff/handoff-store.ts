/**
 * Which users are with the account's customer-service staff (SPEC §8, hand-off to people): while a user is
 * handed off the AI stays silent for them and every message they send is passed on to the staff. A hand-off ends
 * when the staff session closes (WeChat's `kf_close_session`), when an operator releases the user, or by itself
 * at its time-out — so a user whose staff never picked up is not left without answers for good.
 *
 * Implementations: `MemoryHandoffStore` (one instance) and `RedisHandoffStore` (instances share it); both pass
 * test/guard/handoff/handoff-store.contract.ts. Times are epoch milliseconds of the store's clock.
 */
export interface HandoffEntry {
  openId: string;
  /** When the hand-off began (kept when a hand-off is renewed). */
  since: number;
  /** When it ends by itself unless renewed, released or closed first. */
  until: number;
}

export interface HandoffStore {
  /**
   * Hands `openId` to the staff for `ttlMs` from now. A user already handed off keeps `since` and gets the new
   * `until` (a repeated keyword, or a staff session opening, renews it).
   */
  begin(openId: string, ttlMs: number): Promise<HandoffEntry>;
  /** The user's hand-off, or undefined when they are with the AI. */
  get(openId: string): Promise<HandoffEntry | undefined>;
  /** Brings the AI back for `openId`; resolves to whether they were handed off. */
  end(openId: string): Promise<boolean>;
  /** Every user handed off now, longest first (by `since`). Expired hand-offs are pruned on the way. */
  list(): Promise<HandoffEntry[]>;
  close(): Promise<void>;
}
