import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { createAgent } from '../../../src/ai/create-agent.js';
import { DifyAgent } from '../../../src/ai/providers/dify-agent.js';
import { EchoAgent } from '../../../src/ai/providers/echo-agent.js';
import { HttpAgent } from '../../../src/ai/providers/http-agent.js';
import { OllamaAgent } from '../../../src/ai/providers/ollama-agent.js';
import { OpenAIAgent } from '../../../src/ai/providers/openai-agent.js';
import type { AgentConfig, AgentType } from '../../../src/config/app-config.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/fake-openai.js';
import { agentRequest, collectStream } from './agent-test-helpers.js';

const REPOSITORY = path.resolve(import.meta.dirname, '../../..');
const options = { cwd: REPOSITORY, log: pino({ level: 'silent' }) };

function config(type: AgentType, extra: Partial<AgentConfig> = {}): AgentConfig {
  return { type, timeoutSeconds: 30, timeoutMessage: 'timeout', errorMessage: 'error', ...extra };
}

describe('createAgent', () => {
  let fake: FakeOpenAI;
  before(async () => {
    fake = await startFakeOpenAI({ apiKey: 'sk-configured' });
  });
  after(() => fake.close());

  it('builds each type with its default URL when EXTERNAL_SERVICE_URL is not set', async () => {
    const openai = await createAgent(config('openai'), options);
    assert.ok(openai instanceof OpenAIAgent);
    assert.equal(openai.baseUrl, 'https://api.openai.com/v1');
    const ollama = await createAgent(config('ollama', { model: 'qwen2.5' }), options);
    assert.ok(ollama instanceof OllamaAgent);
    assert.equal(ollama.chatUrl, 'http://127.0.0.1:11434/api/chat');
    assert.equal(ollama.model, 'qwen2.5');
    const dify = await createAgent(config('dify'), options);
    assert.ok(dify instanceof DifyAgent);
    assert.equal(dify.baseUrl, 'https://api.dify.ai/v1');
    assert.ok((await createAgent(config('echo'), options)) instanceof EchoAgent);
  });

  it('openai: URL, key and model from the configuration reach the service', async () => {
    const agent = await createAgent(config('openai', { url: `${fake.baseUrl}/chat/completions`, apiKey: 'sk-configured', model: 'qwen-plus' }), options);
    const outcome = await collectStream(agent, agentRequest());
    assert.equal(outcome.error, undefined);
    assert.equal(fake.chatRequests().at(-1)?.model, 'qwen-plus');
  });

  it('default: needs EXTERNAL_SERVICE_URL', async () => {
    await assert.rejects(createAgent(config('default'), options), /EXTERNAL_SERVICE_URL: required when EXTERNAL_SERVICE_TYPE=default/);
    const agent = await createAgent(config('default', { url: 'http://127.0.0.1:9/agent' }), options);
    assert.ok(agent instanceof HttpAgent);
    assert.equal(agent.url, 'http://127.0.0.1:9/agent');
  });

  it('custom: loads CUSTOM_SERVICE_MODULE relative to cwd, and needs it', async () => {
    const agent = await createAgent(config('custom', { customModule: './examples/custom-agent.mjs' }), options);
    assert.equal(agent.name, 'keyword-example');
    await assert.rejects(createAgent(config('custom'), options), /CUSTOM_SERVICE_MODULE: required/);
  });
});
