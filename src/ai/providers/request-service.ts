/**
 * One HTTP call to an AI service for the fetch-based providers: the caller's signal bounds the whole call
 * (headers and body), and every failure arrives as an `AgentError` — a refused connection, an abort or an error
 * status. The answer is returned unread, so that streamed bodies can be consumed as they arrive.
 */
import { errorOfFailedRequest, errorOfResponse } from './provider-errors.js';

export interface ServiceRequest {
  url: string;
  /** Sent as JSON, unless it is `FormData` (sent as multipart). */
  body: unknown;
  headers?: Record<string, string>;
  signal: AbortSignal;
}

/** POSTs `request.body`; resolves with a 2xx response whose body is still unread. */
export async function postToService(provider: string, request: ServiceRequest): Promise<Response> {
  const isForm = request.body instanceof FormData;
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      headers: { ...(isForm ? {} : { 'content-type': 'application/json' }), ...request.headers },
      body: isForm ? (request.body as FormData) : JSON.stringify(request.body),
      signal: request.signal,
    });
  } catch (error) {
    throw errorOfFailedRequest(provider, error, request.signal);
  }
  if (!response.ok) throw await errorOfResponse(provider, response);
  return response;
}

/** `Authorization: Bearer …` when a key is configured, nothing otherwise. */
export function bearerHeader(apiKey: string | undefined): Record<string, string> {
  return apiKey === undefined || apiKey === '' ? {} : { authorization: `Bearer ${apiKey}` };
}
