/**
 * The router's last handler when an AI service is configured: a message the AI should answer becomes a job on the
 * answer queue (jobs/answer-queue.ts) — before any model is called — and the delivery is held until the job's
 * worker records the answer's route in the dedup store (delivery/held-delivery.ts). Whatever the AI is not asked
 * about gets a ready reply here: a video notice, and a voice message that cannot be transcribed.
 */
import type { Agent } from '../../ai/agent.js';
import { newAnswerId } from '../../delivery/live-answer.js';
import type { AnswerQueue } from '../../jobs/answer-queue.js';
import { isUserMessage } from '../../jobs/produce-answer.js';
import type { Handler, HandlerResult } from '../router.js';

export interface AgentHandlerOptions {
  queue: AnswerQueue;
  agent: Pick<Agent, 'transcribe'>;
  /** Whether the message's media can be downloaded (the WeChat API is configured). */
  canDownloadMedia: boolean;
  /** Whether WeChat's AMR/Speex voice can be converted for the agent (ffmpeg found). */
  canConvertAudio: boolean;
  now?: () => number;
}

/** Replies for what the agent is not asked about. */
const VIDEO_NOTICE = '收到你的视频啦，不过我暂时还看不了视频，可以用文字或图片告诉我你想问什么吗？';
const VOICE_UNAVAILABLE = '抱歉，我暂时听不了语音，请发文字给我吧。';

export function agentHandler(options: AgentHandlerOptions): Handler {
  const now = options.now ?? Date.now;
  return async (context, next): Promise<HandlerResult> => {
    const { message, messageKey } = context;
    if (message.kind === 'video' || message.kind === 'shortvideo') return { type: 'text', content: VIDEO_NOTICE };
    if (!isUserMessage(message)) return next();
    if (message.kind === 'voice' && !message.recognition) {
      const canTranscribe = options.canDownloadMedia && options.agent.transcribe !== undefined;
      // WeChat records AMR (or Speex); without a converter only formats the service takes could be transcribed.
      const needsConverter = !/^(mp3|wav|m4a|ogg|webm|flac)$/i.test(message.format) && !options.canConvertAudio;
      if (!canTranscribe || needsConverter) {
        context.log.info({ messageKey, format: message.format, canTranscribe, needsConverter }, 'voice message without recognition cannot be transcribed here');
        return { type: 'text', content: VOICE_UNAVAILABLE };
      }
    }
    await options.queue.add({ messageKey, message, arrivedAt: now(), answerId: newAnswerId() });
    return { type: 'queued' };
  };
}
