/**
 * The hand-off state of a running server reached through its admin API (`/admin/api/handoff`, bearer
 * `ADMIN_TOKEN`): what `wx-backend handoff` uses without `REDIS_URL`, when the state lives in the server's memory.
 */
import { parseHandoffList } from '../guard/handoff/handoff-entry-json.js';
import type { HandoffEntry } from '../guard/handoff/handoff-store.js';

/** What the command needs of the hand-off state, wherever it is kept. */
export interface HandoffDesk {
  list(): Promise<HandoffEntry[]>;
  /** Resolves to whether the user was handed off. */
  release(openId: string): Promise<boolean>;
}

/** The server answered, but not as asked; `message` is for the operator. */
export class ServerAnswerError extends Error {
  override readonly name = 'ServerAnswerError';
}

export function serverHandoffDesk(serverUrl: string, adminToken: string): HandoffDesk {
  const base = `${serverUrl.replace(/\/+$/, '')}/admin/api/handoff`;
  const call = async (method: string, url: string): Promise<{ status: number; body: unknown }> => {
    let response: Response;
    try {
      response = await fetch(url, { method, headers: { authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      const { cause } = error as { cause?: { code?: unknown; message?: unknown } };
      const reason = [cause?.code, cause?.message, error instanceof Error ? error.message : String(error)].find((each) => typeof each === 'string');
      throw new ServerAnswerError(`cannot reach the server at ${serverUrl} (${String(reason)}). Is it running? (--url names another)`);
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: response.status, body };
  };
  const refused = (status: number, body: unknown): ServerAnswerError => {
    const { error, message } = (body ?? {}) as { error?: unknown; message?: unknown };
    if (status === 401) return new ServerAnswerError('the server refused ADMIN_TOKEN (401): is it the one the server was started with?');
    if (status === 404 && error === undefined) return new ServerAnswerError(`the server has no admin API at ${serverUrl}/admin/api (is ADMIN_TOKEN set for the server?)`);
    return new ServerAnswerError(`the server answered ${status}${typeof error === 'string' ? ` ${error}` : ''}${typeof message === 'string' ? `: ${message}` : ''}`);
  };
  return {
    async list() {
      const { status, body } = await call('GET', base);
      if (status !== 200) throw refused(status, body);
      try {
        return parseHandoffList(body);
      } catch (error) {
        throw new ServerAnswerError(`unexpected answer from ${base}: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
    async release(openId) {
      const { status, body } = await call('DELETE', `${base}/${encodeURIComponent(openId)}`);
      if (status === 200) return true;
      if (status === 404 && (body as { error?: unknown } | undefined)?.error === 'not_handed_off') return false;
      throw refused(status, body);
    },
  };
}
