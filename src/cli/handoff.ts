/**
 * `wx-backend handoff list | release OPENID…`: the users handed to the account's customer-service staff
 * (`HANDOFF_KEYWORDS`), for whom the AI is silent. With `REDIS_URL` the command works on the shared state in Redis
 * itself, as every instance sees it (no server needed); without it the state lives in the server's memory, so
 * the command asks the running server's admin API.
 *
 * Exit codes: 0 done; 1 Redis or the server failed, or a user to release was not handed off; 2 a usage or
 * configuration problem (the hand-off off, no `ADMIN_TOKEN` to reach the server with).
 */
import type { Redis } from 'ioredis';
import { secretValues } from '../config/app-config.js';
import { handoffEntryJson } from '../guard/handoff/handoff-entry-json.js';
import { handoffStore } from '../guard/handoff/create-handoff.js';
import { createRedactor } from '../logging/redact.js';
import type { CliIo } from './cli-io.js';
import { isHelpRequest, parseCommandArgs, requirePositionals, UsageError } from './command-line.js';
import { serverHandoffDesk, type HandoffDesk } from './server-handoff.js';
import { closeRedis, connectCommandRedis, loadCommandConfig, printFailure } from './wechat-context.js';

export const handoffHelp = `Usage: wx-backend handoff list [--json] [--url URL]
       wx-backend handoff release OPENID... [--url URL]

Users handed to the account's customer-service staff: a user who sends one of HANDOFF_KEYWORDS (人工, 转人工, …)
gets WeChat's transfer to the staff, and the AI stays silent for them until the staff close the session
(kf_close_session), HANDOFF_TIMEOUT passes, or they are released here.

  list            one line per user, longest first: openid, since, until (tab-separated)
  release OPENID  the AI answers the user again (WeChat stops routing their messages to the staff)

With REDIS_URL the command reads and changes the state in Redis, shared by every instance. Without it the state
is in the running server's memory: the command asks the server's admin API, which needs ADMIN_TOKEN.

Options:
  --json          list: the users as JSON, as GET /admin/api/handoff answers
  --url URL       without REDIS_URL: the server (default http://127.0.0.1:$PORT)
  -h, --help      this help`;

export async function handoffCommand(args: string[], io: CliIo): Promise<number> {
  const [subcommand, ...rest] = args;
  if (isHelpRequest(subcommand)) {
    io.print(handoffHelp);
    return 0;
  }
  const { values, positionals } = parseCommandArgs(rest, { json: { type: 'boolean', default: false }, url: { type: 'string' } }, handoffHelp);
  if (values.help) {
    io.print(handoffHelp);
    return 0;
  }
  if (values.url !== undefined && !URL.canParse(values.url)) throw new UsageError(`--url is not a URL: ${values.url}`, handoffHelp);
  switch (subcommand) {
    case 'list': {
      requirePositionals(positionals, 'no arguments', 0, handoffHelp);
      const json = values.json;
      return withHandoffDesk(io, 'handoff list', values.url, async (desk, print, printError) => {
        const entries = await desk.list();
        const now = Date.now();
        if (json) print(JSON.stringify({ users: entries.map((entry) => handoffEntryJson(entry, now)) }, null, 2));
        else for (const entry of entries) print(`${entry.openId}\tsince ${new Date(entry.since).toISOString()}\tuntil ${new Date(entry.until).toISOString()}`);
        printError(`${entries.length} ${entries.length === 1 ? 'user' : 'users'} handed off`);
        return 0;
      });
    }
    case 'release': {
      if (values.json) throw new UsageError('--json goes with list', handoffHelp);
      const openIds = requirePositionals(positionals, 'one or more OPENIDs', 1, handoffHelp, true);
      return withHandoffDesk(io, 'handoff release', values.url, async (desk, print, printError) => {
        let missing = 0;
        for (const openId of openIds) {
          if (await desk.release(openId)) {
            print(`${openId}: released; the AI answers again`);
          } else {
            missing += 1;
            printError(`${openId}: not handed off`);
          }
        }
        return missing === 0 ? 0 : 1;
      });
    }
    case undefined:
      throw new UsageError('give a subcommand: list or release', handoffHelp);
    default:
      throw new UsageError(`unknown subcommand "${subcommand}"`, handoffHelp);
  }
}

type Print = (line: string) => void;

/** Runs `action` on the hand-off state this configuration keeps (Redis, or the server); failures give 1. */
async function withHandoffDesk(io: CliIo, command: string, url: string | undefined, action: (desk: HandoffDesk, print: Print, printError: Print) => Promise<number>): Promise<number> {
  const config = loadCommandConfig(io);
  if (config === undefined) return 2;
  const redactor = createRedactor(secretValues(config));
  const print: Print = (line) => io.print(redactor.redact(line));
  const printError: Print = (line) => io.printError(redactor.redact(line));
  if (config.handoff.keywords.length === 0 || config.agent.type === 'echo') {
    printError(`wx-backend ${command}: the hand-off to people is off (${config.handoff.keywords.length === 0 ? 'HANDOFF_KEYWORDS is empty' : 'EXTERNAL_SERVICE_TYPE=echo: no AI to keep silent'})`);
    return 2;
  }
  if (config.redisUrl && url !== undefined) {
    printError(`wx-backend ${command}: --url is for a server without REDIS_URL; with REDIS_URL the state is read from Redis`);
    return 2;
  }
  if (!config.redisUrl && !config.adminToken) {
    printError(`wx-backend ${command}: without REDIS_URL the hand-off state is in the server's memory, and reaching it needs its admin API: set ADMIN_TOKEN (the server's)`);
    return 2;
  }
  let redis: Redis | undefined;
  try {
    if (config.redisUrl) {
      redis = await connectCommandRedis(config.redisUrl, command, printError);
      if (redis === undefined) return 1;
      const store = handoffStore(config, redis);
      return await action({ list: () => store.list(), release: (openId) => store.end(openId) }, print, printError);
    }
    return await action(serverHandoffDesk(url ?? `http://127.0.0.1:${config.port}`, config.adminToken ?? ''), print, printError);
  } catch (error) {
    printFailure(printError, command, [error instanceof Error ? error.message : String(error)]);
    return 1;
  } finally {
    if (redis) await closeRedis(redis);
  }
}
