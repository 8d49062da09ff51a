/**
 * The AI side of a job: runs the configured agent for one user message into a live answer — with the user's
 * conversation context, the tools, and the resilience policy (timeout, retries, circuit breaker, bounded
 * concurrency) — while the delivery policy follows the answer as it streams (jobs/answer-worker.ts).
 *
 * Failures never escape: a timeout or failure finishes the answer with `EXTERNAL_SERVICE_TIMEOUT_MSG` /
 * `EXTERNAL_SERVICE_ERROR_MSG` (after whatever text had streamed).
 */
import type { Logger } from 'pino';
import type { Agent, ChatMessage, ImagePart, TextPart, UserContent } from '../ai/agent.js';
import { isAgentTimeout } from '../ai/resilience-errors.js';
import type { ResiliencePolicy } from '../ai/resilience.js';
import { runAgent, type RunFinish } from '../ai/run-agent.js';
import type { ToolRegistry } from '../ai/tools/tool-registry.js';
import type { ContextStore } from '../conversation/context/context-store.js';
import { AiCallMeter, type AiCall } from '../conversation/handlers/ai-call-meter.js';
import type { LiveAnswer } from '../delivery/live-answer.js';
import type { ContentSafety } from '../guard/safety/content-safety.js';
import type { UsageMeter } from '../guard/usage/usage-meter.js';
import type { Metrics } from '../metrics/metrics.js';
import type { InboundMessage } from '../wechat/message/types.js';

/** Fetches a message's media from WeChat (images for models that cannot fetch URLs, voice to transcribe). */
export type MediaDownloader = (mediaId: string) => Promise<{ data: Uint8Array; mimeType: string }>;

export interface AnswerProducerOptions {
  agent: Agent;
  policy: ResiliencePolicy;
  context: ContextStore;
  tools?: ToolRegistry;
  /** `SYSTEM_PROMPT`. */
  systemPrompt?: string;
  /** `EXTERNAL_SERVICE_TIMEOUT_MSG` and `EXTERNAL_SERVICE_ERROR_MSG`. */
  timeoutMessage: string;
  errorMessage: string;
  /** Without it, images go by URL only and voice needs WeChat's recognition. */
  downloadMedia?: MediaDownloader;
  /** Converts audio the agent cannot take (WeChat's AMR) into something it can; absent = sent as it is. */
  convertAudio?: (audio: { data: Uint8Array; mimeType: string }) => Promise<{ data: Uint8Array; mimeType: string } | undefined>;
  /** `VOICE_REPLY`: a voice message also gets the answer spoken (when the agent can `speak`). */
  voiceReply?: boolean;
  /** Counts the AI calls (labelled with the agent's name and `model`). */
  metrics?: Metrics;
  /** The model, for the metrics' `model` label (default `unknown`). */
  model?: string;
  /** Screens the answer as it streams (outgoing keyword lists, moderation): nothing unchecked is appended. */
  contentSafety?: ContentSafety;
  /** Records each answered message's token usage (per day, user and model), before the answer is released. */
  usage?: UsageMeter;
}

/** Produces the answer to one message into `answer`; never rejects. `signal` aborts the model call (shutdown). */
export type AnswerProducer = (message: UserMessage, answer: LiveAnswer, log: Logger, signal: AbortSignal) => Promise<void>;

export function createAnswerProducer(options: AnswerProducerOptions): AnswerProducer {
  const { metrics } = options;
  const meter = metrics ? new AiCallMeter(metrics, { provider: options.agent.name, model: options.model ?? 'unknown' }) : undefined;
  return (message, answer, log, signal) => produce(options, message, answer, log, meter, signal);
}

export type UserMessage = Extract<InboundMessage, { kind: 'text' | 'image' | 'voice' | 'location' | 'link' }>;

export function isUserMessage(message: InboundMessage): message is UserMessage {
  return message.kind === 'text' || message.kind === 'image' || message.kind === 'voice' || message.kind === 'location' || message.kind === 'link';
}

/** Runs the agent for one message into `answer`; never rejects. */
async function produce(options: AnswerProducerOptions, message: UserMessage, answer: LiveAnswer, log: Logger, meter: AiCallMeter | undefined, signal: AbortSignal): Promise<void> {
  const { agent, policy, context, tools, systemPrompt, timeoutMessage, errorMessage } = options;
  const userId = message.fromUserName;
  const startedAt = Date.now();
  let call: AiCall | undefined;
  const screen = options.contentSafety?.screenAnswer(answer, log);
  try {
    const content = await userContent(options, message);
    const stored = await context.load(userId);
    const userMessage: ChatMessage = { role: 'user', content };
    const messages: ChatMessage[] = [...(systemPrompt ? [{ role: 'system' as const, content: systemPrompt }] : []), ...stored.messages, userMessage];
    const session = {
      get: (key: string): unknown => stored.session[key],
      set: (key: string, value: unknown): void => {
        stored.session[key] = value;
        context.setSession(userId, key, value).catch((error: unknown) => log.warn({ err: error }, 'could not store the agent session'));
      },
    };
    const inbound = { messageType: message.kind, content: textOf(content), timestamp: message.createTime };
    let finish: RunFinish | undefined;
    let hasMedia = false;
    call = meter?.start();
    for await (const part of policy.stream((callSignal) => runAgent(agent, { userId, messages, signal: callSignal, session, inbound }, { ...(tools ? { tools } : {}), log }), { signal })) {
      if (part.type === 'text-delta') {
        call?.text();
        if (screen === undefined) answer.append(part.text);
        // A blocked word (or flagged text) has ended the answer: leaving the loop stops the model's stream.
        else if (!screen.append(part.text)) break;
      } else if (part.type === 'media') {
        hasMedia = true;
        answer.addMedia({ kind: part.kind, ...(part.url ? { url: part.url } : {}), ...(part.data ? { data: part.data } : {}), ...(part.mimeType ? { mimeType: part.mimeType } : {}) });
      } else if (part.type === 'finish') finish = part as RunFinish;
    }
    await screen?.end();
    call?.succeeded(finish?.usage);
    call = undefined;
    // Booked beside the context's write below (one round trip less before the answer is released).
    const booking = options.usage?.record(userId, finish?.usage, messages, answer.text, log);
    if (options.voiceReply === true && message.kind === 'voice' && agent.speak !== undefined && answer.text.trim() !== '' && screen?.blocked !== true) {
      try {
        const spoken = await agent.speak(speakableText(answer.text), AbortSignal.timeout(60_000));
        answer.addMedia({ kind: 'voice', data: spoken.data, mimeType: spoken.mimeType });
      } catch (error) {
        log.warn({ err: error }, 'could not speak the answer; it goes as text only');
      }
    }
    // The turn is stored before the answer is released: a user who reads it and asks again at once — perhaps
    // through another instance, where the per-user queue does not reach — finds it in the context.
    // What the user got, when content safety changed it: the model's own words are not carried into the next turn.
    await Promise.all([
      booking,
      context.append(userId, [userMessage, ...((screen?.altered === true ? undefined : finish?.messages) ?? [{ role: 'assistant', content: answer.text }])]).catch((error: unknown) =>
        log.warn({ err: error }, 'could not store the conversation turn'),
      ),
    ]);
    if (answer.text.trim() === '' && answer.finished === undefined && !hasMedia) {
      // A model that says nothing must not turn into an empty reply the user cannot make sense of.
      log.warn({ provider: agent.name }, 'the agent answered with nothing; sending EXTERNAL_SERVICE_ERROR_MSG');
      answer.finish('failed', { replacement: errorMessage });
      return;
    }
    answer.finish('answered');
    log.info({ provider: agent.name, elapsedMs: Date.now() - startedAt, characters: answer.text.length }, 'agent answered');
  } catch (error) {
    call?.failed(error);
    if (signal.aborted) {
      // The job was stopped (shutdown): nothing is delivered; the job is handed back or abandoned by its queue.
      log.info({ provider: agent.name, elapsedMs: Date.now() - startedAt }, 'model call stopped: the job was stopped');
      answer.finish('failed');
      return;
    }
    await screen?.end(); // the checked part of what streamed before the failure still goes out
    const timedOut = isAgentTimeout(error);
    const notice = timedOut ? timeoutMessage : errorMessage;
    log.warn({ err: error, provider: agent.name, elapsedMs: Date.now() - startedAt, partial: answer.text.length }, timedOut ? 'agent timed out' : 'agent failed');
    if (screen?.blocked === true) return answer.finish('answered'); // it ends with CONTENT_BLOCKED_MESSAGE already
    answer.finish(timedOut ? 'timeout' : 'failed', answer.text === '' ? { replacement: notice } : { suffix: notice });
  }
}

/** The user's message as the model sees it: text, an image (by URL or bytes), or a voice message's words. */
async function userContent(options: AnswerProducerOptions, message: UserMessage): Promise<UserContent> {
  switch (message.kind) {
    case 'text':
      return message.content;
    case 'location':
      return `[位置] ${message.label || '（未命名地点）'}（纬度 ${message.latitude}，经度 ${message.longitude}）`;
    case 'link':
      return `[链接] ${message.title}\n${message.description}\n${message.url}`.trim();
    case 'image':
      return imageContent(options, message);
    case 'voice': {
      if (message.recognition) return message.recognition;
      const audio = await options.downloadMedia!(message.mediaId);
      const converted = (await options.convertAudio?.(audio)) ?? audio;
      return options.agent.transcribe!(converted, AbortSignal.timeout(60_000));
    }
  }
}

async function imageContent(options: AnswerProducerOptions, message: Extract<UserMessage, { kind: 'image' }>): Promise<UserContent> {
  const { agent, downloadMedia } = options;
  const prompt: TextPart = { type: 'text', text: '（用户发来一张图片）' };
  if (agent.capabilities?.vision !== true) return `[图片] ${message.picUrl}`;
  if (agent.capabilities.imageUrls === true || downloadMedia === undefined) return [prompt, { type: 'image', url: message.picUrl }];
  const { data, mimeType } = await downloadMedia(message.mediaId);
  const image: ImagePart = { type: 'image', data, mimeType };
  return [prompt, image];
}

/** WeChat voice messages last at most 60 s: the spoken answer is the start of the text (about 300 characters). */
function speakableText(text: string): string {
  const plain = text.replace(/[#*_`>|~-]+/g, ' ').replace(/\s+/g, ' ').trim();
  return plain.length <= 300 ? plain : `${plain.slice(0, 300)}…`;
}

function textOf(content: UserContent): string {
  if (typeof content === 'string') return content;
  return content.map((part) => (part.type === 'text' ? part.text : part.url ?? '[图片]')).join('\n');
}
