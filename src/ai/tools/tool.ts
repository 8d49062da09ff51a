/**
 * A tool the model may call: a name, a description, a zod object schema for its parameters and an `execute`
 * function that receives the parsed, typed arguments.
 *
 * The model sees the `spec` (the schema rendered as JSON Schema); what it sends back is untrusted input, so
 * `invoke` validates it with the same schema before `execute` runs. Everything that can go wrong while a tool is
 * called (unknown name, invalid arguments, a throw, a timeout) becomes a tool result the model can read — that is
 * `ToolRegistry`'s job; this module only defines a tool and its validation.
 *
 * ```ts
 * const weather = defineTool({
 *   name: 'weather',
 *   description: 'Current weather for a city.',
 *   parameters: z.object({ city: z.string().describe('City name, e.g. 深圳') }),
 *   async execute({ city }, { signal }) {
 *     return await fetchWeather(city, signal); // a string, or an object sent as JSON
 *   },
 * });
 * ```
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ToolSpec } from '../agent.js';

/** What a tool gets besides its arguments. */
export interface ToolContext {
  /** The user the model is answering (the WeChat openid); tools act for this user only. */
  userId: string;
  /** Aborted when the tool's timeout passes or the answer is no longer wanted; long work must stop then. */
  signal: AbortSignal;
  /** Already bound to the tool's name and call id. */
  log: Logger;
}

/** A string is given to the model as it is; anything else is sent as JSON. */
export type ToolOutput = string | object;

/** The names providers accept for functions (OpenAI: `^[a-zA-Z0-9_-]{1,64}$`). */
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

export interface ToolDefinition<Parameters extends z.ZodObject> {
  name: string;
  /** Tells the model when and why to call the tool; the model reads nothing else. */
  description: string;
  /** Describe each field (`.describe(...)`): the descriptions become part of the JSON Schema the model sees. */
  parameters: Parameters;
  /** Overrides the registry's per-call timeout, in milliseconds. */
  timeoutMs?: number;
  execute(args: z.output<Parameters>, context: ToolContext): Promise<ToolOutput> | ToolOutput;
}

/** A defined tool, its argument type erased: what a `ToolRegistry` holds. */
export interface Tool {
  readonly name: string;
  readonly spec: ToolSpec;
  readonly timeoutMs: number | undefined;
  /** Validates `rawArguments` (throwing `ToolArgumentsError`) and runs the tool with the parsed arguments. */
  invoke(rawArguments: unknown, context: ToolContext): Promise<ToolOutput>;
}

/**
 * Thrown by a tool when its message is meant for the model (e.g. "no such order"): it is passed on as the
 * result. Any other error is logged and the model only learns that the tool failed, so internal details (URLs,
 * stack traces) do not leak into answers.
 */
export class ToolError extends Error {
  override readonly name: string = 'ToolError';
}

/** The model's arguments did not match the tool's parameters; the message explains how, for the model. */
export class ToolArgumentsError extends ToolError {
  override readonly name = 'ToolArgumentsError';
}

export function defineTool<Parameters extends z.ZodObject>(definition: ToolDefinition<Parameters>): Tool {
  if (!TOOL_NAME.test(definition.name)) {
    throw new TypeError(`tool name ${JSON.stringify(definition.name)} must match ${TOOL_NAME.source}`);
  }
  // `io: 'input'`: the model produces the input side (fields with defaults are optional to it).
  // Throws at definition time for schemas JSON Schema cannot express (transforms, dates), which is when a
  // developer can fix them.
  const { $schema: _schema, ...parameters } = z.toJSONSchema(definition.parameters, { io: 'input' });
  const spec: ToolSpec = { name: definition.name, description: definition.description, parameters };
  return {
    name: definition.name,
    spec,
    timeoutMs: definition.timeoutMs,
    async invoke(rawArguments, context) {
      const parsed = definition.parameters.safeParse(normaliseArguments(rawArguments));
      if (!parsed.success) {
        throw new ToolArgumentsError(`Invalid arguments for tool "${definition.name}":\n${z.prettifyError(parsed.error)}`);
      }
      return await definition.execute(parsed.data, context);
    },
  };
}

/** Providers pass parsed JSON; a string that is still JSON text, and "no arguments", are accepted too. */
function normaliseArguments(rawArguments: unknown): unknown {
  if (rawArguments === undefined || rawArguments === null || rawArguments === '') return {};
  if (typeof rawArguments !== 'string') return rawArguments;
  try {
    return JSON.parse(rawArguments) as unknown;
  } catch {
    throw new ToolArgumentsError('The arguments are not valid JSON; send a JSON object matching the parameters.');
  }
}
