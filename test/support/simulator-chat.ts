/**
 * Talking to the web simulator's API the way its page does: follow one simulated user's chat (the Server-Sent
 * Events of `GET /simulator/api/events`, collected as they arrive) and send messages as that user
 * (`POST /simulator/api/messages`). Plus the environment of a demo-mode instance (no WeChat credentials).
 */
import { readServerSentEvents } from '../../src/ai/providers/read-server-sent-events.js';
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

export async function followChat(serverUrl: string, openId: string): Promise<ChatFollower> {
  const stop = new AbortController();
  const response = await fetch(`${serverUrl}/simulator/api/events?openid=${encodeURIComponent(openId)}`, { signal: stop.signal });
  if (response.status !== 200 || response.body === null) throw new Error(`events stream: HTTP ${response.status}`);
  const events: SimulatorEvent[] = [];
  const listeners = new Set<() => void>();
  const body = response.body;
  void (async () => {
    try {
      for await (const message of readServerSentEvents('simulator', body, stop.signal)) {
        events.push(JSON.parse(message.data) as SimulatorEvent);
        for (const listener of [...listeners]) listener();
      }
    } catch {
      // closed
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
    close: () => stop.abort(),
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
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status: response.status, json };
}
