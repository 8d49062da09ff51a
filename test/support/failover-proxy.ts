/**
 * A load balancer in front of several app instances, for the scale-out tests: a tiny `node:http` reverse proxy on
 * loopback that sends each request to the instance currently chosen (`route(i)`) or to the instances in turn
 * (`roundRobin()`). WeChat talks to one callback URL; behind a load balancer, a retry of a delivery may reach
 * another instance than the first delivery did — this is what lets a test make that happen.
 *
 * An instance that is gone (connection refused, or reset mid-request because it was killed) is answered like a
 * load balancer answers for a dead backend: 502 when nothing was sent yet, else the client's connection is cut.
 * Either way WeChat (the `WeChatClient`) delivers again at once, and the proxy sends that delivery to whatever
 * instance is chosen by then. The proxy never picks another instance by itself: the test decides (e.g. it switches
 * to B, then kills A).
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ForwardedRequest {
  /** Index of the instance the request went to. */
  target: number;
  method: string;
  /** Path and query, as received. */
  path: string;
  /**
   * The instance's HTTP status, or why it gave none: `refused` (nothing listens), `failed` (cut mid-request),
   * `abandoned` (the client gave up first, e.g. WeChat's 5 s).
   */
  outcome?: number | 'refused' | 'failed' | 'abandoned';
}

export interface FailoverProxy {
  /** e.g. http://127.0.0.1:41234 — what WeChat is pointed at (append the callback path). */
  url: string;
  /** Every request so far, in arrival order (a live array). */
  forwarded: readonly ForwardedRequest[];
  /** Sends the next requests to instance `index`. */
  route(index: number): void;
  /** Sends the next requests to the instances in turn. */
  roundRobin(): void;
  /** Instance `index` now listens at `url` (e.g. a restarted process on a new port). */
  replace(index: number, url: string): void;
  /** Stops listening and cuts the connections still open. */
  close(): Promise<void>;
}

export async function startFailoverProxy(targets: string[]): Promise<FailoverProxy> {
  if (targets.length === 0) throw new RangeError('the proxy needs at least one instance');
  const origins = targets.map((target) => new URL(target).origin);
  const forwarded: ForwardedRequest[] = [];
  let chosen: number | 'round-robin' = 0;
  let turn = 0;

  const pick = (): number => {
    if (chosen !== 'round-robin') return chosen;
    const index = turn % origins.length;
    turn += 1;
    return index;
  };
  const checked = (index: number): number => {
    if (!Number.isInteger(index) || index < 0 || index >= origins.length) throw new RangeError(`no instance ${index} (0…${origins.length - 1})`);
    return index;
  };

  const forward = (incoming: IncomingMessage, outgoing: ServerResponse): void => {
    const target = pick();
    const record: ForwardedRequest = { target, method: incoming.method ?? 'GET', path: incoming.url ?? '/' };
    forwarded.push(record);
    const upstream = httpRequest(`${origins[target]}${record.path}`, { method: record.method, headers: incoming.headers, agent: false });
    upstream.on('response', (answer) => {
      record.outcome = answer.statusCode ?? 0;
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
      // The instance died while sending its answer: the client sees its connection cut.
      answer.on('error', () => outgoing.destroy());
    });
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      record.outcome ??= error.code === 'ECONNREFUSED' ? 'refused' : 'failed';
      if (outgoing.headersSent || outgoing.destroyed) outgoing.destroy();
      else outgoing.writeHead(502, { 'content-type': 'text/plain', connection: 'close' }).end('bad gateway: the instance is gone');
    });
    // WeChat gave up on this delivery (its 5 s): the instance sees the connection close, as it would directly.
    outgoing.on('close', () => {
      if (outgoing.writableFinished) return;
      record.outcome ??= 'abandoned';
      upstream.destroy();
    });
    incoming.pipe(upstream);
  };

  const server = createServer(forward);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    route: (index) => void (chosen = checked(index)),
    roundRobin: () => void (chosen = 'round-robin'),
    replace: (index, url) => void (origins[checked(index)] = new URL(url).origin),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
