import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { z } from 'zod';
import { ToolRegistry, type ToolCallContext } from '../../../src/ai/tools/tool-registry.js';
import { defineTool, ToolError } from '../../../src/ai/tools/tool.js';
import { capturingLogger } from './scripted-agent.js';

const context = (overrides: Partial<ToolCallContext> = {}): ToolCallContext =>
  ({ userId: 'o_user', signal: new AbortController().signal, log: pino({ level: 'silent' }), ...overrides });

const add = defineTool({
  name: 'add',
  description: 'Adds two numbers.',
  parameters: z.object({ a: z.number().describe('first'), b: z.number().describe('second'), round: z.boolean().default(false) }),
  execute: ({ a, b, round }) => ({ sum: round ? Math.round(a + b) : a + b }),
});

describe('defineTool', () => {
  it('renders the zod schema as the JSON Schema the model sees, without $schema', () => {
    assert.deepEqual(add.spec, {
      name: 'add',
      description: 'Adds two numbers.',
      parameters: {
        type: 'object',
        properties: {
          a: { type: 'number', description: 'first' },
          b: { type: 'number', description: 'second' },
          round: { type: 'boolean', default: false },
        },
        required: ['a', 'b'],
      },
    });
  });

  it('rejects names providers would refuse', () => {
    assert.throws(() => defineTool({ name: 'has space', description: '', parameters: z.object({}), execute: () => '' }), TypeError);
  });
});

describe('ToolRegistry', () => {
  it('runs a call with valid arguments and gives objects to the model as JSON', async () => {
    const registry = new ToolRegistry([add]);
    const result = await registry.execute({ id: 'c1', name: 'add', arguments: { a: 1.25, b: 2 } }, context());
    assert.deepEqual(result, { toolCallId: 'c1', name: 'add', content: '{"sum":3.25}', isError: false });
  });

  it('accepts arguments still in JSON text', async () => {
    const result = await new ToolRegistry([add]).execute({ id: 'c1', name: 'add', arguments: '{"a":1,"b":2,"round":true}' }, context());
    assert.equal(result.content, '{"sum":3}');
  });

  it('explains invalid arguments to the model instead of running the tool', async () => {
    let ran = false;
    const tool = defineTool({ name: 'echo', description: '', parameters: z.object({ text: z.string() }), execute: () => { ran = true; return ''; } });
    const registry = new ToolRegistry([tool, add]);
    const result = await registry.execute({ id: 'c2', name: 'add', arguments: { a: 'one' } }, context());
    assert.equal(result.isError, true);
    assert.match(result.content, /Invalid arguments for tool "add"/);
    assert.match(result.content, /expected number, received string\n {2}→ at a/);
    assert.match(result.content, /at b/);
    const notJson = await registry.execute({ id: 'c3', name: 'echo', arguments: '{text:' }, context());
    assert.equal(notJson.isError, true);
    assert.match(notJson.content, /not valid JSON/);
    assert.equal(ran, false);
  });

  it('answers an unknown tool name with the list of tools', async () => {
    const { log, lines } = capturingLogger();
    const result = await new ToolRegistry([add]).execute({ id: 'c4', name: 'weather', arguments: {} }, context({ log }));
    assert.deepEqual(result, { toolCallId: 'c4', name: 'weather', content: 'Error: there is no tool named "weather". Available tools: add.', isError: true });
    assert.ok(lines.some((line) => line.tool === 'weather' && line.level === 40));
  });

  it('passes a ToolError message on, but hides and logs other failures', async () => {
    const { log, lines } = capturingLogger();
    const registry = new ToolRegistry([
      defineTool({ name: 'refuses', description: '', parameters: z.object({}), execute: () => { throw new ToolError('no such order'); } }),
      defineTool({ name: 'breaks', description: '', parameters: z.object({}), execute: async () => { throw new Error('connect ECONNREFUSED 10.0.0.7:5432'); } }),
    ]);
    const refused = await registry.execute({ id: 'c5', name: 'refuses', arguments: {} }, context({ log }));
    assert.deepEqual([refused.isError, refused.content], [true, 'Error: no such order']);
    const broken = await registry.execute({ id: 'c6', name: 'breaks', arguments: {} }, context({ log }));
    assert.equal(broken.isError, true);
    assert.doesNotMatch(broken.content, /ECONNREFUSED/);
    assert.match(broken.content, /failed unexpectedly/);
    const logged = lines.find((line) => line.tool === 'breaks');
    assert.match(String((logged?.err as { message?: string } | undefined)?.message), /ECONNREFUSED/);
  });

  it('stops waiting for a tool at its timeout and aborts its signal', async () => {
    let toolSignal: AbortSignal | undefined;
    const slow = defineTool({
      name: 'slow', description: '', parameters: z.object({}), timeoutMs: 30,
      execute: async (_args, { signal }) => {
        toolSignal = signal;
        await sleep(5_000, undefined, { ref: false }); // ignores its signal on purpose
        return 'late';
      },
    });
    const started = Date.now();
    const result = await new ToolRegistry([slow], { timeoutMs: 5_000 }).execute({ id: 'c7', name: 'slow', arguments: {} }, context());
    assert.ok(Date.now() - started < 2_000);
    assert.deepEqual([result.isError, result.content], [true, 'Error: the tool "slow" did not answer within 30 ms.']);
    assert.equal(toolSignal?.aborted, true);
  });

  it('truncates long results', async () => {
    const long = defineTool({ name: 'long', description: '', parameters: z.object({}), execute: () => 'x'.repeat(150) });
    const result = await new ToolRegistry([long], { maxResultLength: 100 }).execute({ id: 'c8', name: 'long', arguments: {} }, context());
    assert.equal(result.content, `${'x'.repeat(100)}\n[truncated: 50 more characters]`);
  });

  it('refuses two tools with one name', () => {
    assert.throws(() => new ToolRegistry([add, add]), /already registered/);
  });

  it('runs calls in parallel up to the limit and keeps their order', async () => {
    let running = 0;
    let mostRunning = 0;
    const pause = defineTool({
      name: 'pause', description: '', parameters: z.object({ ms: z.number() }),
      execute: async ({ ms }) => {
        mostRunning = Math.max(mostRunning, ++running);
        await sleep(ms);
        running--;
        return String(ms);
      },
    });
    const calls = [40, 10, 30, 20, 5].map((ms, index) => ({ id: `p${index}`, name: 'pause', arguments: { ms } }));
    const results = await new ToolRegistry([pause]).executeAll(calls, context(), 3);
    assert.deepEqual(results.map((result) => result.content), ['40', '10', '30', '20', '5']);
    assert.equal(mostRunning, 3);
  });
});
