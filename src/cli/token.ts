/**
 * `wx-backend token show | refresh`: the access token in the store the server uses (`TOKEN_FILE_PATH` or
 * Redis). Only its state and times are shown — never the token, at most the manager's 6-character preview.
 */
import type { AccessTokenStatus } from '../wechat/access-token/access-token-manager.js';
import type { CliIo } from './cli-io.js';
import { isHelpRequest, parseCommandArgs, requirePositionals, UsageError } from './command-line.js';
import { runWithWeChat, type WeChatContext } from './wechat-context.js';

export const tokenHelp = `Usage: wx-backend token show [--json]
       wx-backend token refresh [--force] [--json]

The access token, as cached for the server (TOKEN_FILE_PATH, or Redis when REDIS_URL is set).

  show          prints its state (ok, expiring, empty, error), a preview of its first characters, when it
                was obtained and when it expires; never the token itself
  refresh       fetches it from WeChat now (stable_token) and prints the new state. Without --force WeChat
                hands back the current token while it is valid

Options:
  --force       refresh: make WeChat issue a new token; the previous one stops working everywhere
  --json        print the state as JSON
  -h, --help    this help`;

export async function tokenCommand(args: string[], io: CliIo): Promise<number> {
  const [subcommand, ...rest] = args;
  if (isHelpRequest(subcommand)) {
    io.print(tokenHelp);
    return 0;
  }
  const { values, positionals } = parseCommandArgs(rest, { force: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } }, tokenHelp);
  if (values.help) {
    io.print(tokenHelp);
    return 0;
  }
  const json = values.json;
  switch (subcommand) {
    case 'show':
      requirePositionals(positionals, 'no arguments', 0, tokenHelp);
      if (values.force) throw new UsageError('--force goes with refresh', tokenHelp);
      return runWithWeChat(io, 'token show', async (context) => {
        const status = await context.tokens.status();
        printStatus(status, context, json);
        return status.state === 'error' ? 1 : 0;
      });
    case 'refresh': {
      requirePositionals(positionals, 'no arguments', 0, tokenHelp);
      const force = values.force;
      return runWithWeChat(io, 'token refresh', async (context) => {
        const status = await context.tokens.refresh({ force });
        if (!json) context.print(force ? 'access token refreshed: WeChat issued a new one' : 'access token fetched from WeChat');
        printStatus(status, context, json);
        return 0;
      });
    }
    case undefined:
      throw new UsageError('give a subcommand: show or refresh', tokenHelp);
    default:
      throw new UsageError(`unknown subcommand "${subcommand}"`, tokenHelp);
  }
}

function printStatus(status: AccessTokenStatus, { print, tokenStore }: WeChatContext, json: boolean): void {
  if (json) {
    print(JSON.stringify({ ...status, store: tokenStore }, null, 2));
    return;
  }
  const now = Date.now();
  const rows: [string, string][] = [['state', status.state]];
  if (status.tokenPreview !== undefined) rows.push(['token', status.tokenPreview]);
  if (status.obtainedAt !== undefined) rows.push(['obtained', `${new Date(status.obtainedAt).toISOString()} (${formatDuration(now - status.obtainedAt)} ago)`]);
  if (status.expiresAt !== undefined) {
    const left = status.expiresAt - now;
    rows.push(['expires', `${new Date(status.expiresAt).toISOString()} (${left > 0 ? `in ${formatDuration(left)}` : `${formatDuration(-left)} ago`})`]);
  }
  rows.push(['refreshes', `${status.refreshCount} by this command`]);
  rows.push(['store', tokenStore]);
  if (status.state === 'empty') rows.push(['note', 'no token cached yet: the server fetches one on first use, or run "wx-backend token refresh"']);
  if (status.error !== undefined) {
    rows.push(['error', `${status.error.errcode === undefined ? '' : `errcode ${status.error.errcode}: `}${status.error.errmsg}`]);
    if (status.error.hint !== undefined) rows.push(['hint', status.error.hint]);
  }
  for (const [name, value] of rows) print(`${`${name}:`.padEnd(11)}${value}`);
}

/** "1 h 48 min", "12 min 5 s", "35 s". */
export function formatDuration(milliseconds: number): string {
  const seconds = Math.max(0, Math.round(milliseconds / 1000));
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (hours > 0) return `${hours} h ${minutes} min`;
  if (minutes > 0) return `${minutes} min ${seconds % 60} s`;
  return `${seconds} s`;
}
