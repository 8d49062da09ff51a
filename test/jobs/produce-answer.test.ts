// The AI side of a job on its own (and the agent handler's ready replies): what reaches the model, what the live
// answer holds, what the context keeps.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { Agent, ChatMessage } from '../../src/ai/agent.js';
import { AgentError } from '../../src/ai/agent.js';
import { createResiliencePolicy } from '../../src/ai/resilience.js';
import { MemoryContextStore } from '../../src/conversation/context/memory-context-store.js';
import { isQueuedAnswer } from '../../src/conversation/delivery-result.js';
import { agentHandler } from '../../src/conversation/handlers/agent-handler.js';
import type { HandlerContext } from '../../src/conversation/router.js';
import { LiveAnswer, type FinishedAnswer } from '../../src/delivery/live-answer.js';
import type { AnswerJob } from '../../src/jobs/answer-job.js';
import type { AnswerQueue } from '../../src/jobs/answer-queue.js';
import { createAnswerProducer, isUserMessage, type AnswerProducerOptions } from '../../src/jobs/produce-answer.js';
import type { InboundMessage } from '../../src/wechat/message/types.js';
import { finish, scriptedAgent, text } from '../ai/framework/scripted-agent.js';

const log = pino({ level: 'silent' });
const base = { toUserName: 'gh_a', fromUserName: 'o_user', createTime: 1_700_000_000, fields: {}, msgId: '1' };
const textMessage = (content: string, user = 'o_user'): InboundMessage => ({ ...base, fromUserName: user, kind: 'text', msgType: 'text', content });
const voice = (recognition?: string, format = 'amr'): InboundMessage => ({ ...base, kind: 'voice', msgType: 'voice', mediaId: 'm1', format, ...(recognition ? { recognition } : {}) });

function setUp(agent: Agent, extra: Partial<AnswerProducerOptions> = {}) {
  const context = new MemoryContextStore();
  const options: AnswerProducerOptions = {
    agent,
    policy: createResiliencePolicy({ retries: 0, timeoutMs: 2_000 }),
    context,
    timeoutMessage: 'timed out',
    errorMessage: 'unavailable',
    ...extra,
  };
  const produce = createAnswerProducer(options);
  // The handler's queue: the jobs it adds are produced right here, one after the other.
  const jobs: AnswerJob[] = [];
  const queue = { add: async (job: AnswerJob) => void jobs.push(job) } as unknown as AnswerQueue;
  const handler = agentHandler({ queue, agent, canDownloadMedia: options.downloadMedia !== undefined, canConvertAudio: options.convertAudio !== undefined });
  const answer = async (message: InboundMessage): Promise<FinishedAnswer | string> => {
    const handlerContext: HandlerContext = { message, appId: 'wx1', messageKey: 'k', log };
    const result = await handler(handlerContext, async () => undefined);
    if (isQueuedAnswer(result)) {
      const job = jobs.shift()!;
      assert.equal(job.messageKey, 'k');
      assert.ok(isUserMessage(job.message));
      const live = new LiveAnswer(job.answerId);
      await produce(job.message, live, log, new AbortController().signal);
      return live.whenFinished();
    }
    return result !== undefined && result.type === 'text' ? result.content : JSON.stringify(result);
  };
  return { context, answer };
}

const userTexts = (messages: ChatMessage[]): string[] => messages.filter((message) => message.role !== 'system').map((message) => (typeof message.content === 'string' ? message.content : '[parts]'));

describe('agent handler', () => {
  it('answers with the streamed text; the next question carries the first turn; users are kept apart', async () => {
    const agent = scriptedAgent([[text('Hello '), text('there'), finish()], [text('Second'), finish()], [text('Other'), finish()]]);
    const { answer } = setUp(agent, { systemPrompt: 'Be brief.' });
    assert.deepEqual(await answer(textMessage('hi')), { text: 'Hello there', media: [], outcome: 'answered' });
    await answer(textMessage('and then?'));
    assert.deepEqual(userTexts(agent.requests[1]!.messages), ['hi', 'Hello there', 'and then?']);
    assert.equal(agent.requests[1]!.messages[0]!.role, 'system');
    await answer(textMessage('new user', 'o_other'));
    assert.deepEqual(userTexts(agent.requests[2]!.messages), ['new user']);
  });

  it('a failing service gives the error message, a slow one the timeout message', async () => {
    const failing = scriptedAgent([() => (async function* () {
      yield* [];
      throw new AgentError('scripted', 'server', 'HTTP 500', { status: 500 });
    })()]);
    assert.deepEqual(await setUp(failing).answer(textMessage('hi')), { text: 'unavailable', media: [], outcome: 'failed' });
    const slow = scriptedAgent([(request) => (async function* () {
      yield text('partial');
      await new Promise((resolve) => request.signal.addEventListener('abort', resolve));
    })()]);
    const { answer } = setUp(slow, { policy: createResiliencePolicy({ retries: 0, timeoutMs: 100 }) });
    const finished = await answer(textMessage('hi'));
    assert.equal(typeof finished === 'object' && finished.outcome, 'timeout');
    assert.equal(typeof finished === 'object' && finished.text, 'partial\n\ntimed out');
  });

  it('video gets a polite notice; voice uses WeChat\'s recognition; without it and without a converter, a clear reply', async () => {
    const agent = scriptedAgent([[text('heard you'), finish()]]);
    const { answer } = setUp(agent);
    assert.match(String(await answer({ ...base, kind: 'video', msgType: 'video', mediaId: 'v', thumbMediaId: 't' })), /视频/);
    assert.equal((await answer(voice('今天天气怎么样')) as FinishedAnswer).text, 'heard you');
    assert.equal(lastUserContent(agent.requests[0]!.messages), '今天天气怎么样');
    assert.match(String(await answer(voice())), /语音/);
  });

  it('VOICE_REPLY: a voice message also gets the answer spoken, as a voice media part', async () => {
    const agent: Agent = {
      ...scriptedAgent([[text('**Sunny** today'), finish()]]),
      speak: async (spokenText) => ({ data: new TextEncoder().encode(`mp3:${spokenText}`), mimeType: 'audio/mpeg' }),
    };
    const finished = (await setUp(agent, { voiceReply: true }).answer(voice('weather?'))) as FinishedAnswer;
    assert.equal(finished.text, '**Sunny** today');
    assert.equal(finished.media.length, 1);
    assert.equal(finished.media[0]?.kind, 'voice');
    assert.equal(new TextDecoder().decode(finished.media[0]?.data), 'mp3:Sunny today');
  });

  it('location and link messages reach the model as text', async () => {
    const agent = scriptedAgent([[text('ok'), finish()]]);
    const { answer } = setUp(agent);
    await answer({ ...base, kind: 'location', msgType: 'location', latitude: 31.23, longitude: 121.47, scale: 15, label: '上海市黄浦区' });
    await answer({ ...base, kind: 'link', msgType: 'link', title: 'An article', description: 'About it', url: 'https://example.com/a' });
    assert.match(lastUserContent(agent.requests[0]!.messages), /上海市黄浦区.*31\.23.*121\.47/);
    assert.match(lastUserContent(agent.requests[1]!.messages), /An article[\s\S]*https:\/\/example\.com\/a/);
  });
});

function lastUserContent(messages: ChatMessage[]): string {
  const last = messages.at(-1);
  return last !== undefined && last.role === 'user' && typeof last.content === 'string' ? last.content : '';
}
