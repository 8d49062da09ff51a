import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { CustomAgentError, loadCustomAgent } from '../../../src/ai/providers/custom-agent-loader.js';
import { MemorySession, agentRequest, collectStream } from './agent-test-helpers.js';

const REPOSITORY = path.resolve(import.meta.dirname, '../../..');

const MODULES: Record<string, string> = {
  'object-default.mjs': `export default {
    name: 'object-agent',
    async *stream(request) {
      yield { type: 'text-delta', text: 'object:' + request.messages.at(-1).content };
      yield { type: 'finish', reason: 'stop' };
    },
  };`,
  'factory.mjs': `export default async function create(context) {
    return {
      name: 'factory-agent',
      async *stream() {
        yield { type: 'text-delta', text: 'cwd=' + context.cwd + ' model=' + context.config?.model };
        yield { type: 'finish', reason: 'stop' };
      },
    };
  }`,
  'named.js': `export const agent = {
    async *stream() {
      yield { type: 'text-delta', text: 'named' };
      yield { type: 'finish', reason: 'stop' };
    },
  };
  export const somethingElse = 1;`,
  'class.mjs': `export default class GreetingAgent {
    name = 'class-agent';
    constructor(context) { this.greeting = context.config?.systemPrompt ?? 'hi'; }
    async *stream() {
      yield { type: 'text-delta', text: this.greeting };
      yield { type: 'finish', reason: 'stop' };
    }
  }`,
  'typed.ts': `import type { Agent } from '${path.join(REPOSITORY, 'src/ai/agent.js').replaceAll('\\', '/')}';
  const agent: Agent = {
    name: 'typed-agent',
    async *stream() {
      yield { type: 'text-delta', text: 'typescript' };
      yield { type: 'finish', reason: 'stop' };
    },
  };
  export default agent;`,
  'no-export.mjs': `export const helper = () => 1;`,
  'not-an-agent.mjs': `export default { name: 'broken', answer: 'no stream method' };`,
  'factory-returns-nothing.mjs': `export default () => undefined;`,
  'factory-throws.mjs': `export default () => { throw new Error('missing MY_AGENT_TOKEN'); };`,
  'syntax-error.mjs': `export default {`,
};

describe('loadCustomAgent', () => {
  let folder: string;
  before(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'wx-custom-agent-'));
    for (const [name, source] of Object.entries(MODULES)) writeFileSync(path.join(folder, name), source);
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  const answer = async (modulePath: string, cwd = folder): Promise<{ name: string; text: string }> => {
    const agent = await loadCustomAgent(modulePath, cwd, { config: { type: 'custom', timeoutSeconds: 1, timeoutMessage: '', errorMessage: '', model: 'm1', systemPrompt: 'hello from config' } });
    const outcome = await collectStream(agent, agentRequest({ text: 'question' }));
    assert.equal(outcome.error, undefined);
    assert.equal(outcome.parts.at(-1)?.type, 'finish');
    return { name: agent.name, text: outcome.text };
  };

  it('takes an agent object as the default export (path relative to cwd)', async () => {
    assert.deepEqual(await answer('./object-default.mjs'), { name: 'object-agent', text: 'object:question' });
  });

  it('takes an absolute path', async () => {
    assert.deepEqual(await answer(path.join(folder, 'object-default.mjs'), '/'), { name: 'object-agent', text: 'object:question' });
  });

  it('calls a factory with the context (cwd, config)', async () => {
    assert.deepEqual(await answer('factory.mjs'), { name: 'factory-agent', text: `cwd=${folder} model=m1` });
  });

  it('takes a named `agent` export, naming a nameless agent after its file', async () => {
    assert.deepEqual(await answer('named.js'), { name: 'named', text: 'named' });
  });

  it('constructs an exported class with the context', async () => {
    assert.deepEqual(await answer('class.mjs'), { name: 'class-agent', text: 'hello from config' });
  });

  it('loads a TypeScript module when a TypeScript loader is active', async () => {
    assert.deepEqual(await answer('typed.ts'), { name: 'typed-agent', text: 'typescript' });
  });

  const failures: Array<[string, RegExp]> = [
    ['missing.mjs', /CUSTOM_SERVICE_MODULE \(missing\.mjs\): no such file: .*missing\.mjs/],
    ['no-export.mjs', /no default export and no export named "agent" \(it exports: helper\)/],
    ['not-an-agent.mjs', /must export an agent — an object with a stream\(request\) method/],
    ['factory-returns-nothing.mjs', /must export an agent/],
    ['factory-throws.mjs', /the agent factory failed: missing MY_AGENT_TOKEN/],
    ['syntax-error.mjs', /could not be loaded: /],
  ];
  for (const [name, message] of failures) {
    it(`${name}: a clear error naming the module`, async () => {
      const error = await loadCustomAgent(name, folder).catch((thrown: unknown) => thrown);
      assert.ok(error instanceof CustomAgentError, String(error));
      assert.equal(error.modulePath, name);
      assert.match(error.message, new RegExp(`CUSTOM_SERVICE_MODULE \\(${name.replace('.', '\\.')}\\)`));
      assert.match(error.message, message);
    });
  }
});

describe('examples/custom-agent.mjs', () => {
  it('loads through the loader and answers by keyword in two deltas, remembering the user', async () => {
    const agent = await loadCustomAgent('examples/custom-agent.mjs', REPOSITORY, { log: pino({ level: 'silent' }) });
    assert.equal(agent.name, 'keyword-example');
    const session = new MemorySession();
    const first = await collectStream(agent, agentRequest({ text: 'What are your opening hours?', session }));
    assert.deepEqual(first.parts.map((part) => part.type), ['text-delta', 'text-delta', 'finish']);
    assert.equal(first.text, 'Hello! We are open 9:00–18:00, Monday to Friday.');
    const second = await collectStream(agent, agentRequest({ text: '价格多少？', session }));
    assert.equal(second.text, 'Welcome back! Prices are on our website, under “Plans”.');
    const unknown = await collectStream(agent, agentRequest({ text: 'weather?' }));
    assert.equal(unknown.text, 'Hello! Ask me about our hours or prices.');
  });

  it('runs under plain node, without a TypeScript loader', () => {
    const script = `
      const { default: create } = await import('./examples/custom-agent.mjs');
      const session = new Map();
      const agent = create({});
      let text = '';
      for await (const part of agent.stream({ userId: 'u', messages: [{ role: 'user', content: 'price' }], signal: new AbortController().signal, session: { get: (k) => session.get(k), set: (k, v) => session.set(k, v) } })) {
        if (part.type === 'text-delta') text += part.text;
      }
      console.log(text);`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPOSITORY, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'Hello! Prices are on our website, under “Plans”.');
  });
});
