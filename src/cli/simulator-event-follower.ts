/**
 * `wx-backend simulate`'s view of what the user is sent besides the passive reply: it follows the running
 * server's simulator event stream (`GET /simulator/api/events?openid=…&history=0`) for the simulated user —
 * customer-service messages and the typing indicator — when the server has the simulator on (demo mode or
 * `SIMULATOR_ENABLED=true`); otherwise that route is a 404 and the command says it cannot show them.
 */
import { readServerSentEvents } from '../ai/providers/read-server-sent-events.js';
import type { SimulatorEvent } from '../simulator/simulator-events.js';

export interface EventFollower {
  /** The next event, or undefined when none comes within `timeoutMs` (or the stream ended). */
  next(timeoutMs: number): Promise<SimulatorEvent | undefined>;
  close(): void;
}

export type FollowResult = { status: 'following'; follower: EventFollower } | { status: 'disabled' } | { status: 'unavailable'; reason: string };

/** How long to wait for the stream to open before going on without it. */
const OPEN_TIMEOUT_MS = 3_000;

export async function followSimulatorEvents(serverUrl: string, openId: string): Promise<FollowResult> {
  const stop = new AbortController();
  const url = `${serverUrl}/simulator/api/events?openid=${encodeURIComponent(openId)}&history=0`;
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'text/event-stream' }, signal: AbortSignal.any([stop.signal, AbortSignal.timeout(OPEN_TIMEOUT_MS)]) });
  } catch (error) {
    return { status: 'unavailable', reason: error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error) };
  }
  if (response.status === 404) {
    await response.body?.cancel().catch(() => {});
    return { status: 'disabled' };
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel().catch(() => {});
    return { status: 'unavailable', reason: `HTTP ${response.status}` };
  }

  const queue: SimulatorEvent[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const body = response.body;
  void (async () => {
    try {
      for await (const message of readServerSentEvents('simulator', body, stop.signal)) {
        queue.push(JSON.parse(message.data) as SimulatorEvent);
        wake?.();
      }
    } catch {
      // The stream ended (server gone, or closed by us): whoever waits gets undefined.
    } finally {
      ended = true;
      wake?.();
    }
  })();

  return {
    status: 'following',
    follower: {
      async next(timeoutMs) {
        if (queue.length === 0 && !ended) {
          let timer: NodeJS.Timeout | undefined;
          await new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(resolve, timeoutMs);
          });
          clearTimeout(timer);
          wake = undefined;
        }
        return queue.shift();
      },
      close: () => stop.abort(),
    },
  };
}
