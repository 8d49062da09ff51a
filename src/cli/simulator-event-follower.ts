/**
 * `wx-backend simulate`'s view of what the user is sent besides the passive reply: it follows the running
 * server's simulator event stream (`GET /simulator/api/events?openid=…`) for the simulated user — customer-service
 * messages and the typing indicator — when the server has the simulator on (demo mode or `SIMULATOR_ENABLED=true`);
 * otherwise that route is a 404 and the command says it cannot show them.
 *
 * The stream has a connection of its own (no keep-alive pool), closed by `close()`, so nothing is left open.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { readServerSentEvents } from '../ai/providers/read-server-sent-events.js';
import type { SimulatorEvent } from '../simulator/simulator-events.js';

export interface EventFollower {
  /** The next event, or undefined when none comes within `timeoutMs` (or the stream ended). */
  next(timeoutMs: number): Promise<SimulatorEvent | undefined>;
  /** Whether the stream is over (closed, or the server went away): `next` then only empties what was received. */
  readonly ended: boolean;
  close(): void;
}

export type FollowResult = { status: 'following'; follower: EventFollower } | { status: 'disabled' } | { status: 'unavailable'; reason: string };

export interface FollowOptions {
  /** Also the events kept from before (the chat so far); default false: from now on. */
  history?: boolean;
  /** How long to wait for the stream to open before going on without it; default 1 s (a healthy server answers at once). */
  openTimeoutMs?: number;
}

export async function followSimulatorEvents(serverUrl: string, openId: string, options: FollowOptions = {}): Promise<FollowResult> {
  const url = new URL(`${serverUrl}/simulator/api/events`);
  url.searchParams.set('openid', openId);
  if (options.history !== true) url.searchParams.set('history', '0');
  const opened = await open(url, options.openTimeoutMs ?? 1_000);
  if ('reason' in opened) return { status: 'unavailable', reason: opened.reason };
  const { request, response } = opened;
  if (response.statusCode !== 200) {
    request.destroy();
    return response.statusCode === 404 ? { status: 'disabled' } : { status: 'unavailable', reason: `HTTP ${response.statusCode}` };
  }

  const stop = new AbortController();
  const queue: SimulatorEvent[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const body = Readable.toWeb(response) as ReadableStream<Uint8Array>;
  void (async () => {
    try {
      for await (const message of readServerSentEvents('simulator', body, stop.signal)) {
        queue.push(JSON.parse(message.data) as SimulatorEvent);
        wake?.();
      }
    } catch {
      // The stream ended (the server went away, or we closed it): whoever waits gets undefined.
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
      get ended() {
        return ended;
      },
      close() {
        stop.abort();
        request.destroy();
      },
    },
  };
}

function open(url: URL, timeoutMs: number): Promise<{ request: ClientRequest; response: IncomingMessage } | { reason: string }> {
  return new Promise((resolve) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(url, { agent: false, headers: { accept: 'text/event-stream' } });
    const timer = setTimeout(() => {
      request.destroy();
      resolve({ reason: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    request.on('response', (response) => {
      clearTimeout(timer);
      resolve({ request, response });
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ reason: error.code ?? error.message });
    });
    request.end();
  });
}
