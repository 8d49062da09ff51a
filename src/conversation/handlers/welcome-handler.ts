import type { Handler } from '../router.js';

/** Greets a new follower with `WELCOME_MESSAGE` (nothing when it is empty). */
export function welcomeHandler(welcomeMessage: string): Handler {
  return (_context, next) => (welcomeMessage ? { type: 'text', content: welcomeMessage } : next());
}
