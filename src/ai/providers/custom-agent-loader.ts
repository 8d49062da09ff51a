/**
 * `EXTERNAL_SERVICE_TYPE=custom`: the agent exported by `CUSTOM_SERVICE_MODULE` (a path, absolute or relative to
 * the working directory).
 *
 * The module's default export, or else its named export `agent`, is one of:
 * - an `Agent` object (anything with a `stream` method; see `ai/agent.ts`),
 * - a factory `(context: CustomAgentContext) => Agent | Promise<Agent>`, called once at start-up,
 * - a class whose constructor takes the context.
 * An agent without a `name` is named after the file.
 *
 * JavaScript (`.js`, `.mjs`) loads under plain `node`. TypeScript (`.ts`, `.mts`) loads when a TypeScript loader
 * is active (`npm run dev`, the tests, `node --import tsx …`); under plain `node` the loader falls back to tsx's
 * API when tsx is installed, and otherwise explains that the module must be compiled to JavaScript first.
 * See `examples/custom-agent.mjs`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import type { AgentConfig } from '../../config/app-config.js';
import type { Agent } from '../agent.js';

/** What a factory is given. */
export interface CustomAgentContext {
  /** The working directory `CUSTOM_SERVICE_MODULE` was resolved against. */
  cwd: string;
  /** The `EXTERNAL_SERVICE_*` settings, e.g. for a URL, key or model the agent uses. */
  config?: AgentConfig;
  /** The application's logger (secrets redacted). */
  log?: Logger;
}

export type CustomAgentFactory = (context: CustomAgentContext) => Agent | Promise<Agent>;

/** `CUSTOM_SERVICE_MODULE` could not be turned into an agent; the message names the module and the reason. */
export class CustomAgentError extends Error {
  override readonly name = 'CustomAgentError';
  constructor(
    readonly modulePath: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const TYPESCRIPT_EXTENSIONS = new Set(['.ts', '.mts', '.cts']);

export async function loadCustomAgent(modulePath: string, cwd: string, context: Omit<CustomAgentContext, 'cwd'> = {}): Promise<Agent> {
  const label = `CUSTOM_SERVICE_MODULE (${modulePath})`;
  const absolutePath = path.resolve(cwd, modulePath);
  if (!existsSync(absolutePath)) throw new CustomAgentError(modulePath, `${label}: no such file: ${absolutePath}`);

  let namespace: Record<string, unknown>;
  try {
    namespace = await importModule(absolutePath);
  } catch (error) {
    if (error instanceof CustomAgentError) throw error;
    throw new CustomAgentError(modulePath, `${label} could not be loaded: ${messageOf(error)}`, { cause: error });
  }

  const exported = namespace.default ?? namespace.agent;
  if (exported === undefined) {
    const names = Object.keys(namespace).join(', ') || 'nothing';
    throw new CustomAgentError(modulePath, `${label} has no default export and no export named "agent" (it exports: ${names})`);
  }

  let agent: unknown = exported;
  if (typeof exported === 'function') {
    try {
      agent = await instantiate(exported as CustomAgentFactory, { cwd, ...context });
    } catch (error) {
      throw new CustomAgentError(modulePath, `${label}: the agent factory failed: ${messageOf(error)}`, { cause: error });
    }
  }
  if (!isAgentLike(agent)) {
    throw new CustomAgentError(
      modulePath,
      `${label} must export an agent — an object with a stream(request) method — or a function returning one`,
    );
  }
  return hasName(agent) ? agent : withName(agent, path.basename(absolutePath, path.extname(absolutePath)));
}

async function importModule(absolutePath: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(absolutePath).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    const isTypeScript = TYPESCRIPT_EXTENSIONS.has(path.extname(absolutePath));
    if (!isTypeScript || (error as { code?: unknown }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
    return importWithTsx(url, error);
  }
}

/** Plain `node` cannot run TypeScript (Node 20): use tsx's API if it is installed. */
async function importWithTsx(url: string, original: unknown): Promise<Record<string, unknown>> {
  // A variable specifier: tsx is optional at run time (a dev dependency), so it is not a static import.
  const tsxApi = 'tsx/esm/api';
  let tsImport: ((specifier: string, parentUrl: string) => Promise<unknown>) | undefined;
  try {
    ({ tsImport } = (await import(tsxApi)) as { tsImport?: (specifier: string, parentUrl: string) => Promise<unknown> });
  } catch {
    tsImport = undefined;
  }
  if (tsImport === undefined) {
    throw new Error('it is TypeScript, which plain node cannot load: compile it to JavaScript, or install tsx and start with `node --import tsx`', {
      cause: original,
    });
  }
  return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
}

async function instantiate(exported: CustomAgentFactory, context: CustomAgentContext): Promise<unknown> {
  const isClass = /^class[\s{]/.test(Function.prototype.toString.call(exported));
  if (isClass) return new (exported as unknown as new (context: CustomAgentContext) => Agent)(context);
  return await exported(context);
}

function isAgentLike(value: unknown): value is Omit<Agent, 'name'> & { name?: unknown } {
  return typeof value === 'object' && value !== null && typeof (value as { stream?: unknown }).stream === 'function';
}

function hasName(agent: { name?: unknown }): agent is Agent {
  return typeof agent.name === 'string' && agent.name !== '';
}

/** The same agent (methods, state and `this` intact through the prototype) with a name. */
function withName(agent: object, name: string): Agent {
  return Object.create(agent, { name: { value: name, enumerable: true } }) as Agent;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
