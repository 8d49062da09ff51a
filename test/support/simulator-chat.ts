/**
 * Talking to the web simulator's API the way its page does: follow one simulated user's chat (the Server-Sent
 * Events of `GET /simulator/api/events`, collected as they arrive) and send messages as that user
 * (`POST /simulator/api/messages`). Plus the environment of a demo-mode instance (no WeChat credentials).
 */
import { followSimulatorEvents } from '../../src/cli/simulator-event-follower.js';
import type { SimulatorEvent } from '../../src/simulator/simulator-events.js';

/** A demo-mode instance: no WeChat configuration, loopback, any free port, console logs only. */
export function demoEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { HOST: '127.0.0.1', PORT: '0', LOG_DIR: '', LOG_LEVEL: 'info', ...extra };
}

export interface ChatFollower {
  /** Every event so far, in order. */
  events: SimulatorEvent[];
  /** Resolves with the first event (already received or coming) that matches, or rejects after `timeoutMs`. */
  waitFor<Type extends SimulatorEvent['type']>(type: Type, predicate?: (event: Extract<SimulatorEvent, { type: Type }>) => boolean, timeoutMs?: number): Promise<Extract<SimulatorEvent, { type: Type }>>;
  close(): void;
}

/** Follows `openId`'s chat (the chat so far, then live) through the same client `wx-backend simulate` uses. */
export async function followChat(serverUrl: string, openId: string): Promise<ChatFollower> {
  const following = await followSimulatorEvents(serverUrl, openId, { history: true, openTimeoutMs: 5_000 });
  if (following.status !== 'following') throw new Error(`events stream: ${following.status === 'disabled' ? 'HTTP 404' : following.reason}`);
  const { follower } = following;
  const events: SimulatorEvent[] = [];
  const listeners = new Set<() => void>();
  let closed = false;
  void (async () => {
    while (!closed) {
      const event = await follower.next(60_000);
      if (event === undefined) {
        if (follower.ended) return;
        continue;
      }
      events.push(event);
      for (const listener of [...listeners]) listener();
    }
  })();
  return {
    events,
    waitFor(type, predicate = () => true, timeoutMs = 10_000) {
      type Wanted = Extract<SimulatorEvent, { type: typeof type }>;
      const find = (): Wanted | undefined => events.find((event): event is Wanted => event.type === type && predicate(event as Wanted));
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = find();
          if (found === undefined) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no ${type} event within ${timeoutMs} ms; events: ${JSON.stringify(events)}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    close() {
      closed = true;
      follower.close();
    },
  };
}

export interface PostAnswer {
  status: number;
  json: Record<string, unknown>;
}

/** `POST /simulator/api/messages` with `body` as JSON (or as given, when a string). */
export async function postSimulatorMessage(serverUrl: string, body: unknown): Promise<PostAnswer> {
  const response = await fetch(`${serverUrl}/simulator/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status: response.status, json };
}
