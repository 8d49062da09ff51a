/**
 * Classification shared by the fetch-based providers (ollama, dify, default): what a failed request, a failed
 * body read or an error status means as an `AgentError`. The openai provider classifies the SDK's own errors.
 */
import { AgentError, errorKindOfStatus } from '../agent.js';

/** Longest service-provided detail kept in an error message (bodies can be whole HTML pages). */
const DETAIL_LIMIT = 300;

export function abortedError(provider: string, signal?: AbortSignal): AgentError {
  return new AgentError(provider, 'aborted', `${provider}: the request was aborted`, { cause: signal?.reason });
}

/**
 * What an exception from `fetch` or from reading a body means: our own signal aborted (always checked first, as
 * an abort also surfaces as a broken body read), or the network failed — refused, reset or cut mid-stream.
 */
export function errorOfFailedRequest(provider: string, error: unknown, signal: AbortSignal): AgentError {
  if (error instanceof AgentError) return error;
  if (signal.aborted) return abortedError(provider, signal);
  return new AgentError(provider, 'network', `${provider}: ${describeNetworkFailure(error)}`, { cause: error });
}

/** An error status: classified by `errorKindOfStatus`, with the service's own explanation when it gave one. */
export async function errorOfResponse(provider: string, response: Response): Promise<AgentError> {
  const text = await response.text().catch(() => '');
  const detail = messageOfErrorBody(text);
  return new AgentError(provider, errorKindOfStatus(response.status), `${provider}: HTTP ${response.status}${detail === '' ? '' : ` — ${detail}`}`, {
    status: response.status,
  });
}

/**
 * The human-readable part of an error body: `{"error": "…"}` (Ollama), `{"error": {"message": "…"}}` (OpenAI),
 * `{"message": "…"}` (Dify), else the text itself, shortened.
 */
export function messageOfErrorBody(text: string): string {
  const parsed = parseJsonObject(text);
  const error = parsed?.error;
  const candidates = [
    typeof error === 'string' ? error : undefined,
    typeof error === 'object' && error !== null ? (error as Record<string, unknown>).message : undefined,
    parsed?.message,
  ];
  const message = candidates.find((candidate): candidate is string => typeof candidate === 'string' && candidate !== '');
  return shorten(message ?? (parsed === undefined ? text.trim() : ''));
}

export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function describeNetworkFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // undici reports "fetch failed" and keeps the useful part (ECONNREFUSED 127.0.0.1:1234, …) in `cause`.
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause === undefined || cause === error.message ? error.message : `${error.message} (${cause})`;
}

function shorten(text: string): string {
  return text.length <= DETAIL_LIMIT ? text : `${text.slice(0, DETAIL_LIMIT)}…`;
}
