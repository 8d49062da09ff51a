import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ChatMessage } from '../../../src/ai/agent.js';
import { OLLAMA_DEFAULT_MODEL, OllamaAgent } from '../../../src/ai/providers/ollama-agent.js';
import { startFakeOllama, type FakeOllama } from '../fakes/fake-ollama.js';
import { runAgentContract } from './agent.contract.js';
import { agentErrorOf, agentRequest, collectStream } from './agent-test-helpers.js';

runAgentContract('ollama', async () => {
  const fake = await startFakeOllama();
  return {
    agent: new OllamaAgent({ url: fake.url, model: 'llama-test' }),
    agentAt: (url) => new OllamaAgent({ url }),
    replyNext: (reply) => fake.replyNext(reply),
    receivedTexts: () => fake.chatRequests().at(-1)?.messages.map((message) => message.content) ?? [],
    sendsHistory: true,
    close: () => fake.close(),
  };
});

describe('OllamaAgent against the fake Ollama', () => {
  let fake: FakeOllama;
  let agent: OllamaAgent;
  before(async () => {
    fake = await startFakeOllama();
    agent = new OllamaAgent({ url: fake.url, model: 'llava' });
  });
  after(() => fake.close());

  it('streams from /api/chat with the model, and reports done_reason and token counts', async () => {
    fake.replyNext({ chunks: ['Hi', ' there'], doneReason: 'length' });
    const outcome = await collectStream(agent, agentRequest());
    const body = fake.chatRequests().at(-1)!;
    assert.equal(body.model, 'llava');
    assert.equal(body.stream, true);
    assert.equal(body.tools, undefined);
    assert.equal(outcome.text, 'Hi there');
    assert.deepEqual(outcome.parts.at(-1), { type: 'finish', reason: 'length', usage: { inputTokens: 12, outputTokens: 2 } });
  });

  it('accepts the base URL or the full /api/chat endpoint', async () => {
    for (const url of [fake.url, `${fake.url}/`, `${fake.url}/api/chat`]) {
      const outcome = await collectStream(new OllamaAgent({ url }), agentRequest());
      assert.equal(outcome.error, undefined, url);
      assert.equal(fake.requests.at(-1)?.path, '/api/chat', url);
    }
    assert.equal(new OllamaAgent().chatUrl, 'http://127.0.0.1:11434/api/chat');
    assert.equal(new OllamaAgent().model, OLLAMA_DEFAULT_MODEL);
  });

  it('sends images as base64 bytes; an image given only as a remote URL is refused (imageUrls is false)', async () => {
    assert.deepEqual(agent.capabilities, { vision: true, imageUrls: false, tools: true });
    const bytes = new Uint8Array([1, 2, 3, 250]);
    const messages: ChatMessage[] = [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in the picture?' },
          { type: 'image', data: bytes, mimeType: 'image/jpeg' },
          { type: 'image', url: 'data:image/png;base64,iVBORw0K' },
        ],
      },
    ];
    await collectStream(agent, agentRequest({ messages }));
    assert.deepEqual(fake.chatRequests().at(-1)?.messages, [
      { role: 'user', content: 'What is in the picture?', images: [Buffer.from(bytes).toString('base64'), 'iVBORw0K'] },
    ]);

    const before = fake.requests.length;
    const error = await agentErrorOf(agent, agentRequest({ messages: [{ role: 'user', content: [{ type: 'image', url: 'https://example.com/a.jpg' }] }] }));
    assert.equal(error.kind, 'invalid');
    assert.equal(fake.requests.length, before, 'nothing sent');
  });

  it('passes tools, turns tool_calls into tool-call parts, and sends tool turns back in Ollama form', async () => {
    const tool = { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } };
    fake.replyNext({ chunks: [], toolCalls: [{ name: 'get_weather', arguments: { city: 'Tokyo' } }, { name: 'get_time', arguments: {}, id: 'call_x' }] });
    const outcome = await collectStream(agent, agentRequest({ tools: [tool] }));
    assert.deepEqual(fake.chatRequests().at(-1)?.tools, [{ type: 'function', function: tool }]);
    assert.deepEqual(outcome.parts, [
      { type: 'tool-call', call: { id: 'call_0', name: 'get_weather', arguments: { city: 'Tokyo' } } },
      { type: 'tool-call', call: { id: 'call_x', name: 'get_time', arguments: {} } },
      { type: 'finish', reason: 'tool-calls', usage: { inputTokens: 12, outputTokens: 0 } },
    ]);

    const messages: ChatMessage[] = [
      { role: 'user', content: 'Weather in Tokyo?' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'call_0', name: 'get_weather', arguments: { city: 'Tokyo' } }] },
      { role: 'tool', toolCallId: 'call_0', name: 'get_weather', content: 'sunny' },
    ];
    await collectStream(agent, agentRequest({ messages, tools: [tool] }));
    assert.deepEqual(fake.chatRequests().at(-1)?.messages.slice(1), [
      { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Tokyo' } } }] },
      { role: 'tool', content: 'sunny', tool_name: 'get_weather' },
    ]);
  });

  it("an unknown model (404 with Ollama's error body) is invalid, with Ollama's message", async () => {
    fake.replyNext({ error: { status: 404, message: 'model "nope" not found, try pulling it first' } });
    const error = await agentErrorOf(agent, agentRequest());
    assert.equal(error.kind, 'invalid');
    assert.match(error.message, /model "nope" not found/);
  });

  it('a stream that ends without its done line is a broken connection', async () => {
    fake.replyNext({ chunks: ['half'], omitDone: true });
    const outcome = await collectStream(agent, agentRequest());
    assert.equal(outcome.text, 'half');
    assert.equal((outcome.error as { kind?: string }).kind, 'network');
  });
});
