/**
 * Token estimates for AI services that report no usage (the `default` HTTP service, custom agents, a model
 * server that leaves the counts out). The rule, documented in the README and kept deliberately simple:
 *
 * - every CJK character (Chinese, Japanese kana, Korean Hangul) and every full-width sign counts as 1 token;
 * - every other character counts as 1/4 token (English averages about 4 characters a token);
 * - the sum is rounded up. Input is the text of every message the service was sent (system prompt, context, the
 *   user's message); images are not counted. Output is the answer's text.
 *
 * Real tokenizers differ by model (Chinese is often 0.6–1.5 tokens a character): an estimate is marked as one
 * wherever usage is shown, and is there so that budgets still hold, roughly, for services that count nothing.
 */
import type { ChatMessage } from '../../ai/agent.js';

/** CJK ideographs, kana, Hangul, CJK punctuation and full-width forms. */
const WIDE_CHARACTER = /[\u2E80-\u9FFF\uAC00-\uD7AF\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFFEF]|[\u{20000}-\u{3FFFF}]/gu;

/** The estimated tokens of `text` (see the module comment). */
export function estimateTokens(text: string): number {
  if (text === '') return 0;
  const wide = text.match(WIDE_CHARACTER)?.length ?? 0;
  const other = [...text].length - wide;
  return Math.ceil(wide + other / 4);
}

/** The estimated input tokens of a request: the text of every message. */
export function estimateInputTokens(messages: readonly ChatMessage[]): number {
  let tokens = 0;
  for (const message of messages) {
    if (typeof message.content === 'string') tokens += estimateTokens(message.content);
    else for (const part of message.content) if (part.type === 'text') tokens += estimateTokens(part.text);
  }
  return tokens;
}
