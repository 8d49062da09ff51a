import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AgentError, type ChatMessage } from '../../../src/ai/agent.js';
import { OPENAI_DEFAULT_MODEL, OpenAIAgent } from '../../../src/ai/providers/openai-agent.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/fake-openai.js';
import { runAgentContract } from './agent.contract.js';
import { agentErrorOf, agentRequest, collectStream, textOfContent } from './agent-test-helpers.js';

runAgentContract('openai', async () => {
  const fake = await startFakeOpenAI();
  return {
    agent: new OpenAIAgent({ url: fake.baseUrl, apiKey: 'sk-test' }),
    agentAt: (url) => new OpenAIAgent({ url: `${url}/v1` }),
    replyNext: (reply) => fake.replyNext(reply),
    receivedTexts: () => fake.chatRequests().at(-1)?.messages.map((message) => textOfContent(message.content)) ?? [],
    sendsHistory: true,
    close: () => fake.close(),
  };
});

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('OpenAIAgent against the fake OpenAI API', () => {
  let fake: FakeOpenAI;
  let agent: OpenAIAgent;
  before(async () => {
    fake = await startFakeOpenAI({ apiKey: 'sk-test' });
    agent = new OpenAIAgent({ url: fake.baseUrl, apiKey: 'sk-test', model: 'gpt-test' });
  });
  after(() => fake.close());

  it('asks for a stream with usage, with the configured model and key, and reports the usage', async () => {
    fake.replyNext({ chunks: ['a', 'b'], usage: { prompt_tokens: 7, completion_tokens: 2 } });
    const outcome = await collectStream(agent, agentRequest());
    const body = fake.chatRequests().at(-1)!;
    assert.equal(body.model, 'gpt-test');
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
    assert.equal(body.tools, undefined, 'no tools parameter without tools');
    assert.equal(fake.requests.at(-1)?.headers.authorization, 'Bearer sk-test');
    assert.deepEqual(outcome.parts.at(-1), { type: 'finish', reason: 'stop', usage: { inputTokens: 7, outputTokens: 2 } });
  });

  it('assembles tool calls streamed in pieces into tool-call parts with parsed arguments', async () => {
    fake.replyNext({
      chunks: ['Let me check.'],
      toolCalls: [
        { id: 'call_weather', name: 'get_weather', arguments: { city: '北京', days: [1, 2] } },
        { id: 'call_time', name: 'get_time', arguments: '' },
      ],
    });
    const outcome = await collectStream(agent, agentRequest({ tools: [WEATHER_TOOL] }));
    assert.equal(outcome.error, undefined);
    assert.deepEqual(fake.chatRequests().at(-1)?.tools, [{ type: 'function', function: WEATHER_TOOL }]);
    assert.deepEqual(
      outcome.parts.filter((part) => part.type !== 'text-delta'),
      [
        { type: 'tool-call', call: { id: 'call_weather', name: 'get_weather', arguments: { city: '北京', days: [1, 2] } } },
        { type: 'tool-call', call: { id: 'call_time', name: 'get_time', arguments: {} } },
        { type: 'finish', reason: 'tool-calls', usage: { inputTokens: 11, outputTokens: 1 } },
      ],
    );
  });

  it('passes arguments that are not JSON on as text, for the framework to reject', async () => {
    fake.replyNext({ chunks: [], toolCalls: [{ name: 'get_weather', arguments: '{"city": "Par' }] });
    const outcome = await collectStream(agent, agentRequest({ tools: [WEATHER_TOOL] }));
    const call = outcome.parts.find((part) => part.type === 'tool-call');
    assert.deepEqual(call, { type: 'tool-call', call: { id: 'call_0', name: 'get_weather', arguments: '{"city": "Par' } });
  });

  it('sends earlier tool calls and their results in the API format', async () => {
    const messages: ChatMessage[] = [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }] },
      { role: 'tool', toolCallId: 'call_1', name: 'get_weather', content: '{"celsius":21}' },
    ];
    fake.replyNext({ chunks: ['21 °C'] });
    await collectStream(agent, agentRequest({ messages, tools: [WEATHER_TOOL] }));
    assert.deepEqual(fake.chatRequests().at(-1)?.messages.slice(1), [
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"celsius":21}' },
    ]);
  });

  it('sends images as image_url parts: a URL as it is, bytes as a data: URL', async () => {
    const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    const messages: ChatMessage[] = [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image', url: 'https://mmbiz.qpic.cn/pic.jpg' },
          { type: 'image', data: bytes, mimeType: 'image/png' },
        ],
      },
    ];
    fake.replyNext({ chunks: ['A cat.'] });
    await collectStream(agent, agentRequest({ messages }));
    assert.deepEqual(fake.chatRequests().at(-1)?.messages[0]?.content, [
      { type: 'text', text: 'What is this?' },
      { type: 'image_url', image_url: { url: 'https://mmbiz.qpic.cn/pic.jpg' } },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${Buffer.from(bytes).toString('base64')}` } },
    ]);
  });

  it('maps finish reasons', async () => {
    for (const [wire, reason] of [['length', 'length'], ['content_filter', 'content-filter'], ['something_new', 'other']] as const) {
      fake.replyNext({ chunks: ['x'], finishReason: wire });
      const outcome = await collectStream(agent, agentRequest());
      assert.equal(outcome.parts.at(-1)?.type === 'finish' && outcome.parts.at(-1)?.type, 'finish');
      assert.deepEqual((outcome.parts.at(-1) as { reason: string }).reason, reason, wire);
    }
  });

  it('leaves retrying to the policy: one request per failed call', async () => {
    const before = fake.chatRequests().length;
    fake.replyNext({ error: { status: 503 } });
    await agentErrorOf(agent, agentRequest());
    assert.equal(fake.chatRequests().length - before, 1);
  });

  it('reports a wrong key as auth', async () => {
    const wrongKey = new OpenAIAgent({ url: fake.baseUrl, apiKey: 'sk-wrong' });
    const error = await agentErrorOf(wrongKey, agentRequest());
    assert.equal(error.kind, 'auth');
    assert.equal(error.status, 401);
  });

  it('transcribes audio through /audio/transcriptions with the transcription model', async () => {
    fake.transcriptionText = '你好';
    const text = await agent.transcribe({ data: new Uint8Array(64), mimeType: 'audio/mpeg' }, new AbortController().signal);
    assert.equal(text, '你好');
    assert.deepEqual(fake.transcriptions.at(-1), { model: 'whisper-1', fileName: 'audio.mp3', fileType: 'audio/mpeg', fileSize: 64 });
    assert.ok(fake.requests.at(-1)?.path === '/v1/audio/transcriptions');
  });

  it('speaks through /audio/speech and returns mp3 bytes', async () => {
    const speech = await agent.speak('Hello there', new AbortController().signal);
    assert.equal(speech.mimeType, 'audio/mpeg');
    assert.deepEqual(Buffer.from(speech.data), fake.speechAudio);
    assert.deepEqual(fake.requests.at(-1)?.body, { model: 'tts-1', voice: 'alloy', input: 'Hello there', response_format: 'mp3' });
  });

  it('classifies speech failures like chat failures', async () => {
    fake.failNextAudio(429);
    const error = await agent.transcribe({ data: new Uint8Array(8), mimeType: 'audio/wav' }, new AbortController().signal).catch((thrown: unknown) => thrown);
    assert.ok(error instanceof AgentError);
    assert.equal(error.kind, 'rate-limit');
    fake.failNextAudio(500);
    const speakError = await agent.speak('x', new AbortController().signal).catch((thrown: unknown) => thrown);
    assert.ok(speakError instanceof AgentError && speakError.kind === 'server');
    const aborted = await agent.speak('x', AbortSignal.abort()).catch((thrown: unknown) => thrown);
    assert.ok(aborted instanceof AgentError && aborted.kind === 'aborted');
  });
});

describe('OpenAIAgent configuration', () => {
  let fake: FakeOpenAI;
  before(async () => {
    fake = await startFakeOpenAI();
  });
  after(() => fake.close());

  it('accepts the base URL or the full chat-completions endpoint, with or without a trailing slash', async () => {
    for (const url of [fake.baseUrl, `${fake.baseUrl}/`, `${fake.baseUrl}/chat/completions`, `${fake.baseUrl}/chat/completions/`]) {
      const agent = new OpenAIAgent({ url });
      assert.equal(agent.baseUrl, fake.baseUrl, url);
      const outcome = await collectStream(agent, agentRequest());
      assert.equal(outcome.error, undefined, url);
      assert.equal(fake.requests.at(-1)?.path, '/v1/chat/completions', url);
    }
  });

  it('defaults: the public API, gpt-4o-mini, speech on; without a key a placeholder is sent (local servers)', async () => {
    assert.equal(new OpenAIAgent().baseUrl, 'https://api.openai.com/v1');
    const agent = new OpenAIAgent({ url: fake.baseUrl });
    assert.equal(agent.model, OPENAI_DEFAULT_MODEL);
    assert.equal(OPENAI_DEFAULT_MODEL, 'gpt-4o-mini');
    assert.deepEqual(agent.capabilities, { vision: true, imageUrls: true, tools: true, speechToText: true, textToSpeech: true });
    await collectStream(agent, agentRequest());
    assert.equal(fake.chatRequests().at(-1)?.model, 'gpt-4o-mini');
    assert.match(String(fake.requests.at(-1)?.headers.authorization), /^Bearer \S+$/);
  });

  it('options: speech off, other speech models and voice, usage not asked for', async () => {
    const quiet = new OpenAIAgent({ url: fake.baseUrl, speech: false, includeUsage: false });
    assert.equal(quiet.capabilities.speechToText, false);
    assert.equal(quiet.capabilities.textToSpeech, false);
    await collectStream(quiet, agentRequest());
    assert.equal(fake.chatRequests().at(-1)?.stream_options, undefined);

    const custom = new OpenAIAgent({ url: fake.baseUrl, transcriptionModel: 'whisper-large', speechModel: 'gpt-4o-mini-tts', speechVoice: 'coral' });
    await custom.transcribe({ data: new Uint8Array(4), mimeType: 'audio/amr' }, new AbortController().signal);
    assert.equal(fake.transcriptions.at(-1)?.model, 'whisper-large');
    assert.equal(fake.transcriptions.at(-1)?.fileName, 'audio.amr');
    await custom.speak('hi', new AbortController().signal);
    assert.deepEqual(fake.requests.at(-1)?.body, { model: 'gpt-4o-mini-tts', voice: 'coral', input: 'hi', response_format: 'mp3' });
  });
});
