import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ChatMessage } from '../../../src/ai/agent.js';
import { DIFY_CONVERSATION_KEY, DifyAgent } from '../../../src/ai/providers/dify-agent.js';
import { startFakeDify, type FakeDify } from '../fakes/fake-dify.js';
import { runAgentContract } from './agent.contract.js';
import { MemorySession, agentErrorOf, agentRequest, collectStream } from './agent-test-helpers.js';

const API_KEY = 'app-test-key';

runAgentContract('dify', async () => {
  const fake = await startFakeDify();
  return {
    agent: new DifyAgent({ url: fake.baseUrl, apiKey: API_KEY }),
    agentAt: (url) => new DifyAgent({ url: `${url}/v1`, apiKey: API_KEY }),
    replyNext: (reply) => fake.replyNext(reply),
    receivedTexts: () => {
      const body = fake.chatRequests().at(-1);
      return body === undefined ? [] : [body.query];
    },
    sendsHistory: false,
    close: () => fake.close(),
  };
});

describe('DifyAgent against the fake Dify', () => {
  let fake: FakeDify;
  let agent: DifyAgent;
  before(async () => {
    fake = await startFakeDify({ apiKey: API_KEY });
    agent = new DifyAgent({ url: fake.baseUrl, apiKey: API_KEY });
  });
  after(() => fake.close());

  it('sends the newest user message as a streaming chat-message of the user, with the bearer key', async () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'ignored: the Dify app has its own prompt' },
      { role: 'user', content: 'old question' },
      { role: 'assistant', content: 'old answer' },
      { role: 'user', content: '今天天气怎么样？' },
    ];
    fake.replyNext({ chunks: ['晴', '天'] });
    const outcome = await collectStream(agent, agentRequest({ messages, userId: 'o_user_1' }));
    assert.equal(outcome.text, '晴天');
    const body = fake.chatRequests().at(-1)!;
    assert.deepEqual(body, { inputs: {}, query: '今天天气怎么样？', response_mode: 'streaming', conversation_id: '', user: 'o_user_1' });
    assert.equal(fake.requests.at(-1)?.headers.authorization, `Bearer ${API_KEY}`);
    assert.deepEqual(outcome.parts.at(-1), { type: 'finish', reason: 'stop', usage: { inputTokens: 21, outputTokens: 2 } });
  });

  it('keeps each user in their own Dify conversation across turns through the session', async () => {
    const alice = new MemorySession();
    const bob = new MemorySession();
    await collectStream(agent, agentRequest({ userId: 'o_alice', session: alice, text: 'first' }));
    const aliceConversation = alice.get(DIFY_CONVERSATION_KEY);
    assert.equal(typeof aliceConversation, 'string');
    assert.equal(fake.conversations.get(aliceConversation as string), 'o_alice');

    await collectStream(agent, agentRequest({ userId: 'o_bob', session: bob, text: 'hello' }));
    assert.notEqual(bob.get(DIFY_CONVERSATION_KEY), aliceConversation);

    const outcome = await collectStream(agent, agentRequest({ userId: 'o_alice', session: alice, text: 'second' }));
    assert.equal(outcome.error, undefined);
    assert.equal(fake.chatRequests().at(-1)?.conversation_id, aliceConversation);
    assert.equal(alice.get(DIFY_CONVERSATION_KEY), aliceConversation, 'the same conversation continues');
  });

  it('starts a new conversation once when Dify no longer knows the stored one', async () => {
    const session = new MemorySession();
    session.set(DIFY_CONVERSATION_KEY, 'deleted-conversation');
    const before = fake.chatRequests().length;
    const outcome = await collectStream(agent, agentRequest({ userId: 'o_carol', session }));
    assert.equal(outcome.error, undefined);
    assert.deepEqual(fake.chatRequests().slice(before).map((body) => body.conversation_id), ['deleted-conversation', '']);
    const renewed = session.get(DIFY_CONVERSATION_KEY);
    assert.equal(fake.conversations.get(renewed as string), 'o_carol');
  });

  it('an error event in the stream is classified by its status', async () => {
    fake.replyNext({ chunks: ['a'], failAfterChunks: 1, streamError: { status: 400, code: 'completion_request_error', message: 'quota exceeded for the model' } });
    const error = await agentErrorOf(agent, agentRequest());
    assert.equal(error.kind, 'invalid');
    assert.equal(error.status, 400);
    assert.match(error.message, /completion_request_error: quota exceeded/);
  });

  it('streams agent apps (agent_message) and passes produced images on as media', async () => {
    fake.replyNext({ agent: true, chunks: ['Here', ' it is'], files: ['/files/tools/abc.png?sign=x', 'https://cdn.example.com/b.png'] });
    const outcome = await collectStream(agent, agentRequest());
    assert.equal(outcome.text, 'Here it is');
    assert.deepEqual(outcome.parts.filter((part) => part.type === 'media'), [
      { type: 'media', kind: 'image', url: `${fake.url}/files/tools/abc.png?sign=x` },
      { type: 'media', kind: 'image', url: 'https://cdn.example.com/b.png' },
    ]);
  });

  it('sends an image URL as a remote_url file, and uploads image bytes first as a local_file', async () => {
    assert.deepEqual(agent.capabilities, { vision: true, imageUrls: true });
    const bytes = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2]);
    const messages: ChatMessage[] = [
      { role: 'user', content: [{ type: 'image', url: 'https://mmbiz.qpic.cn/a.jpg' }, { type: 'image', data: bytes, mimeType: 'image/jpeg' }] },
    ];
    const outcome = await collectStream(agent, agentRequest({ messages, userId: 'o_pictures' }));
    assert.equal(outcome.error, undefined);
    const upload = fake.uploads.at(-1)!;
    assert.deepEqual({ user: upload.user, type: upload.type, size: upload.size }, { user: 'o_pictures', type: 'image/jpeg', size: 6 });
    const body = fake.chatRequests().at(-1)!;
    assert.equal(body.query, '[image]', 'Dify needs a query even for a picture alone');
    assert.deepEqual(body.files, [
      { type: 'image', transfer_method: 'remote_url', url: 'https://mmbiz.qpic.cn/a.jpg' },
      { type: 'image', transfer_method: 'local_file', upload_file_id: upload.id },
    ]);
  });

  it('accepts the API base or the full /chat-messages endpoint; a wrong key is auth', async () => {
    const full = new DifyAgent({ url: `${fake.baseUrl}/chat-messages`, apiKey: API_KEY });
    assert.equal(full.baseUrl, fake.baseUrl);
    assert.equal((await collectStream(full, agentRequest())).error, undefined);
    assert.equal(new DifyAgent().baseUrl, 'https://api.dify.ai/v1');
    const error = await agentErrorOf(new DifyAgent({ url: fake.baseUrl, apiKey: 'app-wrong' }), agentRequest());
    assert.equal(error.kind, 'auth');
    assert.equal(error.retryable, false);
  });
});
