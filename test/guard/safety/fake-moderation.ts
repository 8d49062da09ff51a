/**
 * A fake OpenAI-compatible moderation endpoint (`POST …/moderations`) as a real HTTP server: a text containing
 * one of `flaggedWords` is flagged (category `harassment`), anything else passes. `failWith` makes every call
 * answer that HTTP status, `delayMs` holds every answer back (a timeout), `malformed` answers JSON of another shape.
 */
import { pause, sendJson, startFakeServiceServer, type RecordedRequest } from '../../ai/fakes/fake-service-server.js';

export interface FakeModeration {
  /** `{url}/v1`: what MODERATION_URL is set to (the client adds `/moderations`). */
  baseUrl: string;
  requests: RecordedRequest[];
  /** The `input` of every moderation request so far. */
  inputs(): string[];
  flaggedWords: string[];
  failWith: number | undefined;
  delayMs: number;
  malformed: boolean;
  close(): Promise<void>;
}

export async function startFakeModeration(options: { apiKey?: string } = {}): Promise<FakeModeration> {
  const fake: FakeModeration = {
    baseUrl: '',
    requests: [],
    inputs: () => fake.requests.map((request) => String((request.body as { input?: unknown } | undefined)?.input ?? '')),
    flaggedWords: [],
    failWith: undefined,
    delayMs: 0,
    malformed: false,
    close: async () => {},
  };
  const server = await startFakeServiceServer(async (request, response, stopped) => {
    if (options.apiKey !== undefined && request.headers.authorization !== `Bearer ${options.apiKey}`) {
      return sendJson(response, 401, { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error' } });
    }
    if (request.method !== 'POST' || !request.path.endsWith('/moderations')) return sendJson(response, 404, { error: { message: 'not found' } });
    await pause(fake.delayMs, stopped);
    if (stopped.aborted) return;
    if (fake.failWith !== undefined) return sendJson(response, fake.failWith, { error: { message: 'fake moderation failure', type: 'server_error' } });
    if (fake.malformed) return sendJson(response, 200, { ok: true });
    const body = request.body as { input?: unknown; model?: unknown };
    const input = String(body.input ?? '');
    const flagged = fake.flaggedWords.some((word) => input.includes(word));
    sendJson(response, 200, {
      id: `modr-${fake.requests.length}`,
      model: typeof body.model === 'string' ? body.model : 'omni-moderation-latest',
      results: [{ flagged, categories: { harassment: flagged, violence: false }, category_scores: { harassment: flagged ? 0.98 : 0.01, violence: 0.001 } }],
    });
  });
  fake.baseUrl = `${server.url}/v1`;
  fake.requests = server.requests;
  fake.close = server.close;
  return fake;
}
