/**
 * `wx-backend COMMAND …`: the command-line entry. Each command lives in its own module and returns an exit code:
 * 0 success, 1 a failure outside (WeChat, the network, Redis), 2 a usage or configuration problem.
 */
import { ConfigError } from '../config/config-error.js';
import { formatConfigProblems } from '../config/load-config.js';
import type { CliIo } from './cli-io.js';
import { processIo } from './cli-io.js';
import { UsageError } from './command-line.js';
import { menuCommand } from './menu.js';
import { selfcheckCommand } from './selfcheck.js';
import { sendCommand } from './send.js';
import { simulateCommand } from './simulate.js';
import { tagsCommand } from './tags.js';
import { handoffCommand } from './handoff.js';
import { tokenCommand } from './token.js';
import { usageCommand } from './usage.js';
import { usersCommand } from './users.js';

export const help = `Usage: wx-backend COMMAND [options]

Commands:
  serve                   start the service (same as npm start)
  simulate TEXT           send TEXT to a running server as WeChat would and print the reply
  selfcheck               check configuration, credentials, AES key, Redis, access token and WeChat API
  menu push|show|delete   the account's custom menu (push a MENU_FILE-style JSON/YAML file)
  users list|get          followers: openids, profiles
  tags list|create|delete|tag|untag|of
                          user tags
  send OPENID TEXT        send a customer-service text message
  token show|refresh      the cached access token (never printed in full)
  handoff list|release   users handed to the customer-service staff (the AI is silent for them)
  usage                   the AI's token usage: totals by day and model, top users

The WeChat commands read the configuration as the server does (environment and .env) and share its cached
access token. Run "wx-backend COMMAND --help" for a command's options.`;

export const serveHelp = `Usage: wx-backend serve        (the same as npm start, or node dist/server.js)

Starts the service. It takes no options: everything is configured by environment variables, read from the
environment and from .env in the working directory (real environment variables win). .env.example lists every
variable with its default; README.md explains each one. The ones that matter first:

  WECHAT_TOKEN, WECHAT_APPID        the account (WeChat console: 设置与开发 → 基本配置); none set = demo mode
  WECHAT_AES_KEY                    EncodingAESKey for safe mode (消息加解密方式: 安全模式)
  WECHAT_APPSECRET                  for the WeChat API (customer-service messages, menus, users)
  EXTERNAL_SERVICE_TYPE             default, openai, ollama, dify, custom or echo
  EXTERNAL_SERVICE_URL, EXTERNAL_SERVICE_API_KEY, EXTERNAL_SERVICE_MODEL
  PORT (5080), HOST (0.0.0.0), WECHAT_PATH (/wechat), PUBLIC_BASE_URL
  REDIS_URL                         shared state and several instances
  ADMIN_TOKEN                       guards /admin/api/*, /metrics and /dashboard
  LOG_LEVEL (INFO), LOG_DIR (./logs)

Exit codes: 0 after a clean shutdown (SIGTERM/SIGINT), 2 for invalid configuration (one line per problem, naming
the variable; also an unreachable REDIS_URL), 1 for any other start-up failure.`;

type Command = (args: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  simulate: simulateCommand,
  selfcheck: selfcheckCommand,
  menu: menuCommand,
  users: usersCommand,
  tags: tagsCommand,
  send: sendCommand,
  token: tokenCommand,
  handoff: handoffCommand,
  usage: usageCommand,
};

export async function runCli(args: string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'serve': {
      if (rest.includes('--help') || rest.includes('-h')) {
        io.print(serveHelp);
        return 0;
      }
      if (rest.length > 0) {
        io.printError(`wx-backend serve: unexpected argument "${rest[0]}" (the service is configured by environment variables)\n\n${serveHelp}`);
        return 2;
      }
      // server.ts starts itself only when it is the entry point; imported here, it is started explicitly.
      await import('../server.js').then((server) => server.main());
      return 0;
    }
    case undefined:
      io.printError(help);
      return 2;
    case '-h':
    case '--help':
    case 'help':
      io.print(help);
      return 0;
  }
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (run === undefined) {
    io.printError(`wx-backend: unknown command "${command}"\n\n${help}`);
    return 2;
  }
  try {
    return await run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.printError(`wx-backend ${command}: ${error.message}\n\n${error.help}`);
      return 2;
    }
    // Commands that do not catch it themselves (simulate): reported as the server reports it.
    if (error instanceof ConfigError) {
      io.printError(formatConfigProblems(error));
      return 2;
    }
    throw error;
  }
}
