/**
 * Server-sent events (`text/event-stream`) of a streamed body, per the WHATWG parsing rules the services follow:
 * `event:`/`data:` fields, multi-line data joined with `\n`, comments (`: ping`) and events without data skipped.
 */
import { readLines } from './read-lines.js';

export interface ServerSentEvent {
  /** `message` when the event named none. */
  event: string;
  data: string;
}

export async function* readServerSentEvents(provider: string, body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncGenerator<ServerSentEvent> {
  let event = '';
  let data: string[] = [];
  for await (const line of readLines(provider, body, signal)) {
    if (line === '') {
      if (data.length > 0) yield { event: event === '' ? 'message' : event, data: data.join('\n') };
      event = '';
      data = [];
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const rawValue = colon < 0 ? '' : line.slice(colon + 1);
    const value = rawValue.startsWith(' ') ? rawValue.slice(1) : rawValue;
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  // A body cut right after its last event (no blank line) still delivers it.
  if (data.length > 0) yield { event: event === '' ? 'message' : event, data: data.join('\n') };
}
