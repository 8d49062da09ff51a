/**
 * Runs each user's work one piece after the other (a user's second message is answered after the first), while
 * different users run concurrently. In-process: with several instances, a user's messages usually reach one
 * instance per burst, and the answers' order is then kept there.
 */
export class UserQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `work` after everything queued for `userId` before it; resolves when `work` is done (never rejects). */
  run(userId: string, work: () => Promise<void>): Promise<void> {
    const previous = this.#tails.get(userId) ?? Promise.resolve();
    const current = previous.then(work).catch(() => {});
    this.#tails.set(userId, current);
    void current.then(() => {
      if (this.#tails.get(userId) === current) this.#tails.delete(userId);
    });
    return current;
  }

  /** Users with work queued or running. */
  get size(): number {
    return this.#tails.size;
  }
}
