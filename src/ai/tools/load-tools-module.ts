/**
 * `TOOLS_MODULE`: extra tools from the operator's own module, added to the built-in ones. The module's default
 * export (or an export named `tools`) is an array of tools made with `defineTool`, or a function returning one
 * (it may be async). JavaScript runs as it is; TypeScript needs `node --import tsx` or a build step, as for a
 * custom agent.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Tool } from './tool.js';

export class ToolsModuleError extends Error {
  override readonly name = 'ToolsModuleError';
}

const isTool = (value: unknown): value is Tool =>
  typeof value === 'object' && value !== null && typeof (value as Tool).name === 'string' && typeof (value as Tool).invoke === 'function' && typeof (value as Tool).spec === 'object';

export async function loadToolsModule(modulePath: string, cwd: string): Promise<Tool[]> {
  const absolutePath = path.resolve(cwd, modulePath);
  if (!existsSync(absolutePath)) throw new ToolsModuleError(`${modulePath}: no such file (${absolutePath})`);
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(absolutePath).href)) as Record<string, unknown>;
  } catch (error) {
    throw new ToolsModuleError(`${modulePath} could not be loaded: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  let exported = exports.default ?? exports.tools;
  if (typeof exported === 'function') exported = await (exported as () => unknown)();
  if (!Array.isArray(exported)) throw new ToolsModuleError(`${modulePath} must export (default or "tools") an array of tools made with defineTool, or a function returning one`);
  const invalid = exported.findIndex((tool) => !isTool(tool));
  if (invalid >= 0) throw new ToolsModuleError(`${modulePath}: entry ${invalid} is not a tool (make tools with defineTool from src/ai/tools/tool.ts)`);
  return exported as Tool[];
}
