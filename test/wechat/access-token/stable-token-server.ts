// A minimal stand-in for WeChat's `POST /cgi-bin/stable_token` on a loopback port, for the access-token tests.
// Like WeChat it hands out the current token in normal mode and a new one on force_refresh; tests can queue
// other answers (errors, HTTP failures, delays) and count the requests.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface StableTokenRequestBody {
  grant_type?: unknown;
  appid?: unknown;
  secret?: unknown;
  force_refresh?: unknown;
}

/** One scripted answer; `body` is sent as JSON. */
export interface ScriptedAnswer {
  status?: number;
  body?: unknown;
  /** Raw text instead of `body`. */
  text?: string;
  delayMs?: number;
}

export class StableTokenServer {
  readonly #server: Server;
  readonly url: string;
  readonly requests: StableTokenRequestBody[] = [];
  /** Every token handed out, so tests can check none of them leaked. */
  readonly issuedTokens: string[] = [];
  /** Answers for the next requests, first in first out; when empty the normal behaviour applies. */
  readonly script: ScriptedAnswer[] = [];
  /** Added to every answer (normal or scripted). */
  delayMs = 0;
  expiresInSeconds = 7200;
  #currentToken: string | undefined;

  private constructor(server: Server) {
    this.#server = server;
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
  }

  static async start(): Promise<StableTokenServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const instance = new StableTokenServer(server);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        void instance.handle(request.method, request.url, Buffer.concat(chunks).toString('utf8')).then(({ status, text }) => {
          response.writeHead(status, { 'content-type': 'application/json' });
          response.end(text);
        });
      });
    });
    return instance;
  }

  get requestCount(): number {
    return this.requests.length;
  }

  /** The token normal mode answers with now (issued on first use). */
  get currentToken(): string | undefined {
    return this.#currentToken;
  }

  /** WeChat rotated the token (as it does in a token's last minutes): normal mode answers a new one. */
  rotate(): string {
    return this.#issue();
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async handle(method: string | undefined, url: string | undefined, text: string): Promise<{ status: number; text: string }> {
    if (method !== 'POST' || url !== '/cgi-bin/stable_token') return { status: 404, text: '{"errcode":-1,"errmsg":"not found"}' };
    const body = JSON.parse(text) as StableTokenRequestBody;
    this.requests.push(body);
    const scripted = this.script.shift();
    await sleep(this.delayMs + (scripted?.delayMs ?? 0));
    if (scripted !== undefined) {
      return { status: scripted.status ?? 200, text: scripted.text ?? JSON.stringify(scripted.body ?? {}) };
    }
    const token = body.force_refresh === true || this.#currentToken === undefined ? this.#issue() : this.#currentToken;
    return { status: 200, text: JSON.stringify({ access_token: token, expires_in: this.expiresInSeconds }) };
  }

  #issue(): string {
    // Shaped like a real token: long, URL-safe characters.
    const token = `${this.issuedTokens.length + 1}_${randomBytes(48).toString('base64url')}`;
    this.issuedTokens.push(token);
    this.#currentToken = token;
    return token;
  }
}
