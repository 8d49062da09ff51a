/**
 * The lines of a streamed HTTP body as they arrive (NDJSON, server-sent events). Reading errors become
 * `AgentError`s (an abort of `signal` → `aborted`, a cut connection → `network`), and a consumer that stops
 * early cancels the body, which closes the connection instead of leaving the service talking to nobody.
 */
import { abortedError, errorOfFailedRequest } from './provider-errors.js';

/** Splits on `\n` (a trailing `\r` is dropped); a last line without a newline is yielded too. */
export async function* readLines(provider: string, body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  let finished = false;
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw errorOfFailedRequest(provider, error, signal);
      }
      if (signal.aborted) throw abortedError(provider, signal);
      if (chunk.done) break;
      buffered += decoder.decode(chunk.value, { stream: true });
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        yield withoutCarriageReturn(line);
        newline = buffered.indexOf('\n');
      }
    }
    finished = true;
    buffered += decoder.decode();
    if (buffered !== '') yield withoutCarriageReturn(buffered);
  } finally {
    if (!finished) reader.cancel().catch(() => {});
  }
}

function withoutCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
