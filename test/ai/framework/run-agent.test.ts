import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { z } from 'zod';
import { AgentError, type AgentPart } from '../../../src/ai/agent.js';
import { runAgent, type RunFinish, type RunPart } from '../../../src/ai/run-agent.js';
import { defineTool } from '../../../src/ai/tools/tool.js';
import { capturingLogger, collect, finish, request, scriptedAgent, text, toolCall, wait } from './scripted-agent.js';

const log = pino({ level: 'silent' });

const lookup = defineTool({
  name: 'lookup',
  description: 'Looks a word up.',
  parameters: z.object({ word: z.string() }),
  execute: ({ word }) => ({ word, meaning: `meaning of ${word}` }),
});

const finishOf = (parts: RunPart[]): RunFinish => {
  const last = parts.at(-1);
  assert.equal(last?.type, 'finish');
  return last as RunFinish;
};

describe('runAgent', () => {
  it('answers directly when the model calls no tool', async () => {
    const agent = scriptedAgent([[text('Hi'), text(' there'), { type: 'finish', reason: 'stop', usage: { inputTokens: 3, outputTokens: 2 } }]]);
    const parts = await collect(runAgent(agent, request(), { tools: [lookup], log }));
    assert.deepEqual(parts.slice(0, 2), [text('Hi'), text(' there')]);
    assert.deepEqual(finishOf(parts), {
      type: 'finish', reason: 'stop', usage: { inputTokens: 3, outputTokens: 2 }, text: 'Hi there',
      messages: [{ role: 'assistant', content: 'Hi there' }], toolRounds: 0,
    });
    assert.deepEqual(agent.requests[0]?.tools, [lookup.spec]);
  });

  it('runs two rounds of tool calls, feeding results back, then streams the answer', async () => {
    const agent = scriptedAgent([
      [text('Let me check. '), toolCall('a', 'lookup', { word: 'cat' }), finish('tool-calls')],
      [toolCall('b', 'lookup', { word: 'dog' }), toolCall('c', 'lookup', { word: 42 }), finish('tool-calls')],
      [text('Cats and dogs.'), { type: 'media', kind: 'image', url: 'https://example.com/pets.png' }, finish()],
    ]);
    const run = runAgent(agent, request(), { tools: [lookup], log });
    const parts = await collect(run);
    assert.deepEqual(parts.filter((part) => part.type !== 'finish'), [
      text('Let me check. '), text('Cats and dogs.'), { type: 'media', kind: 'image', url: 'https://example.com/pets.png' },
    ]);
    const result = finishOf(parts);
    assert.equal(result.text, 'Let me check. Cats and dogs.');
    assert.equal(result.toolRounds, 2);
    assert.equal(agent.requests.length, 3);

    const second = agent.requests[1]!.messages;
    assert.deepEqual(second.slice(1), [
      { role: 'assistant', content: 'Let me check. ', toolCalls: [{ id: 'a', name: 'lookup', arguments: { word: 'cat' } }] },
      { role: 'tool', toolCallId: 'a', name: 'lookup', content: '{"word":"cat","meaning":"meaning of cat"}' },
    ]);
    const third = agent.requests[2]!.messages;
    assert.equal(third.length, 6);
    const badArgs = third[5];
    assert.equal(badArgs?.role, 'tool');
    assert.match(badArgs.role === 'tool' ? badArgs.content : '', /Invalid arguments for tool "lookup"/);
    assert.deepEqual(result.messages, [...third.slice(1), { role: 'assistant', content: 'Cats and dogs.' }]);
    assert.deepEqual(agent.requests[0]!.messages, [{ role: 'user', content: 'hello' }], 'the caller’s messages are not mutated');
  });

  it('asks once more without tools after maxToolRounds, and ignores tool calls then', async () => {
    const { log: capturing, lines } = capturingLogger();
    const agent = scriptedAgent([
      (_request, call) => (async function* (): AsyncGenerator<AgentPart> {
        yield toolCall(`x${call}`, 'lookup', { word: 'again' });
        if (call === 3) yield text('Best I can say.');
        yield finish(call === 3 ? 'stop' : 'tool-calls');
      })(),
    ]);
    const parts = await collect(runAgent(agent, request(), { tools: [lookup], maxToolRounds: 2, log: capturing }));
    assert.equal(agent.requests.length, 3);
    assert.deepEqual(agent.requests.map((sent) => sent.tools?.length), [1, 1, undefined]);
    const result = finishOf(parts);
    assert.deepEqual([result.text, result.toolRounds, result.messages.length], ['Best I can say.', 2, 5]);
    assert.ok(lines.some((line) => line.level === 40 && /tool round limit/.test(String(line.msg))));
    assert.ok(lines.some((line) => line.level === 40 && /ignoring tool calls/.test(String(line.msg))));
  });

  it('offers no tools to an agent without tool support', async () => {
    const agent = scriptedAgent([[text('plain'), finish()]], {});
    const parts = await collect(runAgent(agent, request({ tools: [lookup.spec] }), { tools: [lookup], log }));
    assert.equal(agent.requests[0]?.tools, undefined);
    assert.equal(finishOf(parts).text, 'plain');
  });

  it('runs the tool calls of one round in parallel', async () => {
    let running = 0;
    let mostRunning = 0;
    const slow = defineTool({
      name: 'slow', description: '', parameters: z.object({}),
      execute: async () => {
        mostRunning = Math.max(mostRunning, ++running);
        await sleep(50);
        running--;
        return 'ok';
      },
    });
    const agent = scriptedAgent([
      [toolCall('1', 'slow', {}), toolCall('2', 'slow', {}), toolCall('3', 'slow', {}), finish('tool-calls')],
      [text('done'), finish()],
    ]);
    await collect(runAgent(agent, request(), { tools: [slow], log }));
    assert.equal(mostRunning, 3);
  });

  it('stops promptly when the request is aborted while tools run', async () => {
    const controller = new AbortController();
    const stuck = defineTool({ name: 'stuck', description: '', parameters: z.object({}), timeoutMs: 10_000, execute: () => new Promise<string>(() => {}) });
    const agent = scriptedAgent([[text('checking'), toolCall('1', 'stuck', {}), finish('tool-calls')], [text('never'), finish()]]);
    setTimeout(() => controller.abort(), 30);
    const started = Date.now();
    const parts: RunPart[] = [];
    await assert.rejects(async () => {
      for await (const part of runAgent(agent, request({ signal: controller.signal }), { tools: [stuck], log })) parts.push(part);
    }, (error: unknown) => error instanceof AgentError && error.kind === 'aborted');
    assert.ok(Date.now() - started < 2_000, 'long before the tool’s 10 s timeout');
    assert.deepEqual(parts, [text('checking')]);
    assert.equal(agent.requests.length, 1);
  });

  it('stops promptly when the request is aborted mid-stream, even if the agent ignores the signal', async () => {
    const controller = new AbortController();
    const agent = scriptedAgent([
      [toolCall('1', 'lookup', { word: 'a' }), finish('tool-calls')],
      () => (async function* (): AsyncGenerator<AgentPart> {
        yield text('part one');
        await sleep(5_000, undefined, { ref: false }); // ignores the signal on purpose
        yield finish();
      })(),
    ]);
    const parts: RunPart[] = [];
    await assert.rejects(async () => {
      for await (const part of runAgent(agent, request({ signal: controller.signal }), { tools: [lookup], log })) {
        parts.push(part);
        controller.abort();
      }
    }, (error: unknown) => error instanceof AgentError && error.kind === 'aborted');
    assert.deepEqual(parts, [text('part one')]);
  });

  it('throws the AgentError of an error part', async () => {
    const failure = new AgentError('scripted', 'server', 'overloaded', { status: 503 });
    const agent = scriptedAgent([[text('par'), { type: 'error', error: failure }]]);
    await assert.rejects(collect(runAgent(agent, request(), { log })), (error) => error === failure);
  });

  it('gives calls without ids one, so results can point at them', async () => {
    const agent = scriptedAgent([[toolCall('', 'lookup', { word: 'a' }), finish('tool-calls')], [text('ok'), finish()]]);
    const parts = await collect(runAgent(agent, request(), { tools: [lookup], log }));
    const [assistant, tool] = finishOf(parts).messages;
    assert.equal(assistant?.role === 'assistant' && assistant.toolCalls?.[0]?.id, 'call_1_1');
    assert.equal(tool?.role === 'tool' && tool.toolCallId, 'call_1_1');
  });

  it('returns the finish as the generator’s return value too', async () => {
    const agent = scriptedAgent([[text('x'), finish()]]);
    const run = runAgent(agent, request(), { log });
    let step = await run.next();
    while (step.done !== true) step = await run.next();
    assert.equal(step.value.text, 'x');
  });

  it('waits for a slow agent that honours the signal', async () => {
    const agent = scriptedAgent([(sent) => (async function* (): AsyncGenerator<AgentPart> {
      await wait(20, sent.signal);
      yield text('late');
      yield finish();
    })()]);
    assert.equal(finishOf(await collect(runAgent(agent, request(), { log }))).text, 'late');
  });
});
