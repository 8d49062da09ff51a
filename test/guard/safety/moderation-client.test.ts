import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ModerationClient, ModerationError, moderationEndpoint } from '../../../src/guard/safety/moderation-client.js';
import { refusedUrl } from '../../ai/fakes/fake-service-server.js';
import { startFakeModeration, type FakeModeration } from './fake-moderation.js';

describe('ModerationClient', () => {
  let fake: FakeModeration;
  before(async () => {
    fake = await startFakeModeration({ apiKey: 'mod-key' });
  });
  after(() => fake.close());

  it('takes the endpoint or its base URL', () => {
    assert.equal(moderationEndpoint('https://api.openai.com/v1'), 'https://api.openai.com/v1/moderations');
    assert.equal(moderationEndpoint('https://api.openai.com/v1/'), 'https://api.openai.com/v1/moderations');
    assert.equal(moderationEndpoint('https://proxy.example/v1/moderations'), 'https://proxy.example/v1/moderations');
  });

  it('posts the text (and the model) with the key, and reads flagged and its categories', async () => {
    fake.flaggedWords = ['攻击'];
    const client = new ModerationClient({ url: fake.baseUrl, apiKey: 'mod-key', model: 'omni-moderation-latest', timeoutMs: 2000 });
    assert.deepEqual(await client.check('你好'), { flagged: false, categories: [] });
    assert.deepEqual(await client.check('攻击'), { flagged: true, categories: ['harassment'] });
    const request = fake.requests.at(-1)!;
    assert.equal(request.path, '/v1/moderations');
    assert.equal(request.headers.authorization, 'Bearer mod-key');
    assert.deepEqual(request.body, { input: '攻击', model: 'omni-moderation-latest' });
    fake.flaggedWords = [];
  });

  it('fails with a ModerationError that never carries the text', async () => {
    const failing = async (client: ModerationClient, expected: RegExp): Promise<void> => {
      await assert.rejects(client.check('秘密的文字'), (error: unknown) => error instanceof ModerationError && expected.test(error.message) && !error.message.includes('秘密'));
    };
    await failing(new ModerationClient({ url: fake.baseUrl, apiKey: 'wrong', timeoutMs: 2000 }), /HTTP 401/);
    fake.failWith = 503;
    await failing(new ModerationClient({ url: fake.baseUrl, apiKey: 'mod-key', timeoutMs: 2000 }), /HTTP 503/);
    fake.failWith = undefined;
    fake.malformed = true;
    await failing(new ModerationClient({ url: fake.baseUrl, apiKey: 'mod-key', timeoutMs: 2000 }), /no results\[\]\.flagged/);
    fake.malformed = false;
    fake.delayMs = 500;
    await failing(new ModerationClient({ url: fake.baseUrl, apiKey: 'mod-key', timeoutMs: 100 }), /no answer within 100 ms/);
    fake.delayMs = 0;
    await failing(new ModerationClient({ url: await refusedUrl(), timeoutMs: 2000 }), /cannot reach the service \(ECONNREFUSED\)/);
  });
});
