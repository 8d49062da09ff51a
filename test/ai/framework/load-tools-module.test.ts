import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import { loadToolsModule, ToolsModuleError } from '../../../src/ai/tools/load-tools-module.js';
import { ToolRegistry } from '../../../src/ai/tools/tool-registry.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');

describe('TOOLS_MODULE', () => {
  it('loads the example module: its tools join a registry and run with validated arguments', async () => {
    const tools = await loadToolsModule('./examples/tools.mjs', repoRoot);
    assert.deepEqual(tools.map((tool) => tool.name), ['opening_hours']);
    const registry = new ToolRegistry(tools);
    const context = { userId: 'o_user', signal: new AbortController().signal, log: pino({ level: 'silent' }) };
    const ok = await registry.execute({ id: 'call_1', name: 'opening_hours', arguments: { day: 'sat' } }, context);
    assert.equal(ok.isError, false);
    assert.match(ok.content, /10:00–16:00/);
    const bad = await registry.execute({ id: 'call_2', name: 'opening_hours', arguments: { day: 'someday' } }, context);
    assert.equal(bad.isError, true);
  });

  it('a missing file, a module that does not load, and a wrong export are clear errors', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'wx-tools-'));
    try {
      writeFileSync(path.join(folder, 'broken.mjs'), 'export default [;');
      writeFileSync(path.join(folder, 'wrong.mjs'), 'export default [{ name: "x" }];');
      writeFileSync(path.join(folder, 'object.mjs'), 'export const something = 1;');
      await assert.rejects(loadToolsModule('./missing.mjs', folder), (error: unknown) => error instanceof ToolsModuleError && /no such file/.test(error.message));
      await assert.rejects(loadToolsModule('./broken.mjs', folder), /could not be loaded/);
      await assert.rejects(loadToolsModule('./wrong.mjs', folder), /entry 0 is not a tool/);
      await assert.rejects(loadToolsModule('./object.mjs', folder), /must export/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
