/**
 * An OpenAI-compatible moderation endpoint (`POST …/v1/moderations`, MODERATION_URL): asks whether a text is
 * flagged. OpenAI's own, and the many services that copy its shape, answer
 * `{ "results": [{ "flagged": true, "categories": { "violence": true, … } }] }`.
 *
 * `check` throws on anything that is not such an answer — an HTTP error, a timeout, a body of another shape — so
 * the caller applies MODERATION_ON_ERROR; the error never carries the text.
 */

export interface ModerationVerdict {
  flagged: boolean;
  /** The categories the service flagged (its own names, e.g. `violence`): not content, safe to log. */
  categories: string[];
}

export interface Moderation {
  check(text: string): Promise<ModerationVerdict>;
}

export interface ModerationClientOptions {
  /** MODERATION_URL: the endpoint, or a base URL such as `https://api.openai.com/v1` (`/moderations` is added). */
  url: string;
  /** MODERATION_API_KEY, sent as a bearer token. */
  apiKey?: string;
  /** MODERATION_MODEL, e.g. `omni-moderation-latest`; the service's default without it. */
  model?: string;
  /** MODERATION_TIMEOUT, ms. */
  timeoutMs: number;
}

export class ModerationError extends Error {
  override readonly name = 'ModerationError';
}

/** The endpoint a MODERATION_URL stands for. */
export function moderationEndpoint(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return /\/moderations$/.test(trimmed) ? trimmed : `${trimmed}/moderations`;
}

export class ModerationClient implements Moderation {
  readonly #endpoint: string;
  readonly #options: ModerationClientOptions;

  constructor(options: ModerationClientOptions) {
    this.#options = options;
    this.#endpoint = moderationEndpoint(options.url);
  }

  async check(text: string): Promise<ModerationVerdict> {
    const { apiKey, model, timeoutMs } = this.#options;
    let response: Response;
    try {
      response = await fetch(this.#endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
        body: JSON.stringify({ input: text, ...(model ? { model } : {}) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      throw new ModerationError(timedOut ? `no answer within ${timeoutMs} ms` : `cannot reach the service (${describe(error)})`);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      throw new ModerationError(timedOut ? `no answer within ${timeoutMs} ms` : `HTTP ${response.status} without a JSON body`);
    }
    if (!response.ok) throw new ModerationError(`HTTP ${response.status}`);
    const results = (body as { results?: unknown } | null)?.results;
    if (!Array.isArray(results) || results.length === 0 || !results.every((result) => typeof (result as { flagged?: unknown } | null)?.flagged === 'boolean')) {
      throw new ModerationError('the answer has no results[].flagged');
    }
    const categories = new Set<string>();
    for (const result of results as Array<{ flagged: boolean; categories?: unknown }>) {
      if (typeof result.categories !== 'object' || result.categories === null) continue;
      for (const [name, flagged] of Object.entries(result.categories)) if (flagged === true) categories.add(name);
    }
    return { flagged: results.some((result: { flagged: boolean }) => result.flagged), categories: [...categories] };
  }
}

function describe(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: string } | undefined) : undefined;
  return cause?.code ?? (error instanceof Error ? error.message : String(error));
}
