import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HttpAgent } from '../../../src/ai/providers/http-agent.js';
import { startFakeDefaultService, type FakeDefaultService } from '../fakes/fake-default-service.js';
import { runAgentContract } from './agent.contract.js';
import { agentErrorOf, agentRequest, collectStream } from './agent-test-helpers.js';

// The contract needs deltas arriving over time: the fake streams server-sent events here; the original JSON
// contract and plain-text answers are tested below.
runAgentContract('default (HTTP agent, streamed answers)', async () => {
  const fake = await startFakeDefaultService({ format: 'sse' });
  return {
    agent: new HttpAgent({ url: fake.url }),
    agentAt: (url) => new HttpAgent({ url: `${url}/chat` }),
    replyNext: (reply) => fake.replyNext(reply),
    receivedTexts: () => {
      const body = fake.bodies().at(-1);
      return body === undefined ? [] : [String(body.content)];
    },
    sendsHistory: false,
    close: () => fake.close(),
  };
});

describe('HttpAgent: the original JSON contract', () => {
  let fake: FakeDefaultService;
  let agent: HttpAgent;
  before(async () => {
    fake = await startFakeDefaultService({ format: 'json' });
    agent = new HttpAgent({ url: fake.url });
  });
  after(() => fake.close());

  it('forwards the WeChat message as it arrived: user_id, message_type, content, timestamp and the extra fields', async () => {
    fake.replyNext({ chunks: ['收到'] });
    const inbound = { messageType: 'location', content: '北京市朝阳区', timestamp: 1_700_000_000, extra: { msg_id: '7234567890123456789', latitude: 39.9 } };
    const outcome = await collectStream(agent, agentRequest({ userId: 'o_wechat_user', inbound, text: 'ignored' }));
    assert.deepEqual(fake.bodies().at(-1), {
      msg_id: '7234567890123456789',
      latitude: 39.9,
      user_id: 'o_wechat_user',
      message_type: 'location',
      content: '北京市朝阳区',
      timestamp: 1_700_000_000,
    });
    assert.equal(fake.requests.at(-1)?.headers['content-type'], 'application/json');
    assert.deepEqual(outcome.parts, [{ type: 'text-delta', text: '收到' }, { type: 'finish', reason: 'stop' }]);
  });

  it('without the WeChat message, derives the fields from the newest user message', async () => {
    const before = Math.floor(Date.now() / 1000);
    await collectStream(agent, agentRequest({ userId: 'o_u', messages: [{ role: 'user', content: 'old' }, { role: 'assistant', content: 'a' }, { role: 'user', content: 'new' }] }));
    const body = fake.bodies().at(-1)!;
    assert.deepEqual({ ...body, timestamp: 0 }, { user_id: 'o_u', message_type: 'text', content: 'new', timestamp: 0 });
    assert.ok(typeof body.timestamp === 'number' && body.timestamp >= before && body.timestamp <= before + 2, 'seconds');

    await collectStream(agent, agentRequest({ messages: [{ role: 'user', content: [{ type: 'image', url: 'https://mmbiz.qpic.cn/x.jpg' }] }] }));
    assert.deepEqual([fake.bodies().at(-1)?.message_type, fake.bodies().at(-1)?.content], ['image', 'https://mmbiz.qpic.cn/x.jpg']);
  });

  it('answers the whole content as one delta; a plain-text body is the answer itself', async () => {
    fake.replyNext({ chunks: ['Line one.\n', 'Line two.'] }, { format: 'text', chunks: ['plain ', 'text answer'] });
    assert.equal((await collectStream(agent, agentRequest())).text, 'Line one.\nLine two.');
    const plain = await collectStream(agent, agentRequest());
    assert.deepEqual(plain.parts, [{ type: 'text-delta', text: 'plain text answer' }, { type: 'finish', reason: 'stop' }]);
  });

  it('an image or voice answer with a URL becomes media', async () => {
    fake.replyNext({ messageType: 'image', chunks: ['https://example.com/cat.png'] });
    const outcome = await collectStream(agent, agentRequest());
    assert.deepEqual(outcome.parts, [{ type: 'media', kind: 'image', url: 'https://example.com/cat.png' }, { type: 'finish', reason: 'stop' }]);
  });

  it('a JSON answer without content, or an empty body, is invalid', async () => {
    fake.replyNext({ rawBody: '{"message_type":"text","answer":"wrong field"}' }, { rawBody: '', contentType: 'text/plain' });
    assert.equal((await agentErrorOf(agent, agentRequest())).kind, 'invalid');
    assert.equal((await agentErrorOf(agent, agentRequest())).kind, 'invalid');
  });

  it('an HTML error page is classified by status with a short message', async () => {
    const page = `<html><head><title>502 Bad Gateway</title></head><body>${'<p>nginx</p>'.repeat(200)}</body></html>`;
    fake.replyNext({ rawStatus: 502, rawBody: page, contentType: 'text/html' });
    const error = await agentErrorOf(agent, agentRequest());
    assert.equal(error.kind, 'server');
    assert.equal(error.status, 502);
    assert.match(error.message, /^default: HTTP 502 — <html><head><title>502 Bad Gateway/);
    assert.ok(error.message.length < 400, 'shortened');
  });

  it('streams NDJSON answers piece by piece', async () => {
    fake.replyNext({ format: 'ndjson', chunks: ['one', ' two'] });
    const outcome = await collectStream(agent, agentRequest());
    assert.deepEqual(outcome.parts, [{ type: 'text-delta', text: 'one' }, { type: 'text-delta', text: ' two' }, { type: 'finish', reason: 'stop' }]);
    fake.replyNext({ format: 'ndjson', chunks: ['one', ' two'], failAfterChunks: 1 });
    assert.equal((await agentErrorOf(agent, agentRequest())).kind, 'server');
  });

  it('sends the key as a bearer token when one is configured, and none otherwise', async () => {
    await collectStream(new HttpAgent({ url: fake.url, apiKey: 'secret-key' }), agentRequest());
    assert.equal(fake.requests.at(-1)?.headers.authorization, 'Bearer secret-key');
    await collectStream(agent, agentRequest());
    assert.equal(fake.requests.at(-1)?.headers.authorization, undefined);
  });
});
