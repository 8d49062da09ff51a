import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EchoAgent } from '../../../src/ai/providers/echo-agent.js';
import { agentErrorOf, agentRequest, collectStream } from './agent-test-helpers.js';

describe('EchoAgent', () => {
  it('answers with the newest user text, then finishes', async () => {
    const outcome = await collectStream(new EchoAgent(), agentRequest({ messages: [{ role: 'user', content: 'old' }, { role: 'assistant', content: 'x' }, { role: 'user', content: '你好' }] }));
    assert.deepEqual(outcome.parts, [{ type: 'text-delta', text: '你好' }, { type: 'finish', reason: 'stop' }]);
  });

  it('joins text parts, names a picture without words, and takes a prefix', async () => {
    const agent = new EchoAgent({ prefix: 'Echo: ' });
    assert.equal(agent.name, 'echo');
    const parts = await collectStream(agent, agentRequest({ messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }] }));
    assert.equal(parts.text, 'Echo: a\nb');
    const picture = await collectStream(agent, agentRequest({ messages: [{ role: 'user', content: [{ type: 'image', url: 'https://example.com/x.jpg' }] }] }));
    assert.equal(picture.text, 'Echo: [image]');
  });

  it('an already aborted request ends as aborted', async () => {
    const error = await agentErrorOf(new EchoAgent(), agentRequest({ signal: AbortSignal.abort() }));
    assert.equal(error.kind, 'aborted');
  });
});
