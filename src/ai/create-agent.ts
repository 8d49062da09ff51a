/**
 * The agent `EXTERNAL_SERVICE_TYPE` names, built from the validated configuration: the one place that knows
 * every provider. Services without an `EXTERNAL_SERVICE_URL` use their usual local or public address; the
 * `default` HTTP agent has none and must be given one.
 */
import { ConfigError } from '../config/config-error.js';
import type { Logger } from 'pino';
import type { AgentConfig } from '../config/app-config.js';
import type { Agent } from './agent.js';
import { loadCustomAgent } from './providers/custom-agent-loader.js';
import { DifyAgent, DIFY_DEFAULT_URL } from './providers/dify-agent.js';
import { EchoAgent } from './providers/echo-agent.js';
import { HttpAgent } from './providers/http-agent.js';
import { OLLAMA_DEFAULT_URL, OllamaAgent } from './providers/ollama-agent.js';
import { OPENAI_DEFAULT_URL, OpenAIAgent } from './providers/openai-agent.js';

export interface CreateAgentOptions {
  /** Working directory `CUSTOM_SERVICE_MODULE` is resolved against. */
  cwd: string;
  log: Logger;
}

/** The default URL of each service type that has one. */
export const DEFAULT_SERVICE_URLS = {
  openai: OPENAI_DEFAULT_URL,
  ollama: OLLAMA_DEFAULT_URL,
  dify: DIFY_DEFAULT_URL,
} as const;

export async function createAgent(config: AgentConfig, options: CreateAgentOptions): Promise<Agent> {
  const agent = await build(config, options);
  const service = describeService(config, agent);
  options.log.info(service, `AI service: ${service.type}${service.url ? ` at ${service.url}` : ''}${service.model ? `, model ${service.model}` : ''}`);
  return agent;
}

/**
 * What start-up says about the AI service: its type, the URL it calls and the model — never the key. A URL may
 * carry credentials of its own (`https://user:secret@host`, `?key=…`), so only its origin and path are shown.
 */
export function describeService(config: AgentConfig, agent: Agent): { type: string; agent: string; url?: string; model?: string } {
  const url = config.url ?? (config.type in DEFAULT_SERVICE_URLS ? DEFAULT_SERVICE_URLS[config.type as keyof typeof DEFAULT_SERVICE_URLS] : undefined);
  const model = 'model' in agent && typeof agent.model === 'string' ? agent.model : config.model;
  return {
    type: config.type,
    agent: agent.name,
    ...(url === undefined || config.type === 'custom' ? {} : { url: withoutCredentials(url) }),
    ...(model === undefined ? {} : { model }),
  };
}

function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`.replace(/\/+$/, '');
  } catch {
    return '(unparsable URL)';
  }
}

async function build(config: AgentConfig, options: CreateAgentOptions): Promise<Agent> {
  switch (config.type) {
    case 'openai':
      return new OpenAIAgent({
        url: config.url ?? OPENAI_DEFAULT_URL,
        ...(config.apiKey === undefined ? {} : { apiKey: config.apiKey }),
        ...(config.model === undefined ? {} : { model: config.model }),
        timeoutMs: config.timeoutSeconds * 1000,
      });
    case 'ollama':
      return new OllamaAgent({
        url: config.url ?? OLLAMA_DEFAULT_URL,
        ...(config.apiKey === undefined ? {} : { apiKey: config.apiKey }),
        ...(config.model === undefined ? {} : { model: config.model }),
      });
    case 'dify':
      return new DifyAgent({ url: config.url ?? DIFY_DEFAULT_URL, ...(config.apiKey === undefined ? {} : { apiKey: config.apiKey }) });
    case 'default':
      if (config.url === undefined || config.url === '') {
        throw new ConfigError(['EXTERNAL_SERVICE_URL: required when EXTERNAL_SERVICE_TYPE=default (the URL messages are POSTed to; EXTERNAL_SERVICE_TYPE is default unless set)']);
      }
      return new HttpAgent({ url: config.url, ...(config.apiKey === undefined ? {} : { apiKey: config.apiKey }) });
    case 'echo':
      return new EchoAgent();
    case 'custom':
      if (config.customModule === undefined || config.customModule === '') {
        throw new ConfigError(['CUSTOM_SERVICE_MODULE: required when EXTERNAL_SERVICE_TYPE=custom (path of the module exporting the agent)']);
      }
      return loadCustomAgent(config.customModule, options.cwd, { config, log: options.log });
  }
}
