/**
 * `wx-backend users list | get`: the account's followers. Openids go to standard output one per line (ready
 * for a pipe); counts and paging advice go to standard error.
 */
import type { CliIo } from './cli-io.js';
import { isHelpRequest, parseCommandArgs, requirePositionals, UsageError } from './command-line.js';
import { runWithWeChat } from './wechat-context.js';

export const usersHelp = `Usage: wx-backend users list [--all] [--next OPENID]
       wx-backend users get OPENID...

The account's followers.

  list          prints one page of follower openids (up to 10000, WeChat's page size), one per line, and the
                total; the next page starts after the last openid printed (--next)
  get OPENID    prints the follower's profile as JSON (several OPENIDs: a JSON list)

Options:
  --all         list: every page, one after the other
  --next OPENID list: the page after OPENID
  -h, --help    this help`;

export async function usersCommand(args: string[], io: CliIo): Promise<number> {
  const [subcommand, ...rest] = args;
  if (isHelpRequest(subcommand)) {
    io.print(usersHelp);
    return 0;
  }
  const { values, positionals } = parseCommandArgs(rest, { all: { type: 'boolean', default: false }, next: { type: 'string' } }, usersHelp);
  if (values.help) {
    io.print(usersHelp);
    return 0;
  }
  switch (subcommand) {
    case 'list': {
      requirePositionals(positionals, 'no arguments', 0, usersHelp);
      if (values.all && values.next !== undefined) throw new UsageError('--all and --next do not go together', usersHelp);
      const all = values.all;
      const next = values.next;
      return runWithWeChat(io, 'users list', async ({ api, print, printError }) => {
        if (all) {
          let listed = 0;
          let total = 0;
          for await (const page of api.users.pages()) {
            for (const openId of page.openIds) print(openId);
            listed += page.openIds.length;
            total = page.total;
          }
          printError(`${listed} of ${total} followers`);
          return 0;
        }
        const page = await api.users.list(next);
        for (const openId of page.openIds) print(openId);
        // WeChat names a next openid after the last page too; from the start, the total tells whether more follow.
        const complete = page.nextOpenId === undefined || (next === undefined && page.openIds.length >= page.total);
        const more = complete ? '' : `; next page: wx-backend users list --next ${page.nextOpenId}`;
        printError(`${page.openIds.length} of ${page.total} followers${more}`);
        return 0;
      });
    }
    case 'get': {
      if (values.all || values.next !== undefined) throw new UsageError('--all and --next go with list', usersHelp);
      const openIds = requirePositionals(positionals, 'one or more OPENIDs', 1, usersHelp, true);
      return runWithWeChat(io, 'users get', async ({ api, print }) => {
        const profile = openIds.length === 1 ? await api.users.get(openIds[0] ?? '') : await api.users.getMany(openIds);
        print(JSON.stringify(profile, null, 2));
        return 0;
      });
    }
    case undefined:
      throw new UsageError('give a subcommand: list or get', usersHelp);
    default:
      throw new UsageError(`unknown subcommand "${subcommand}"`, usersHelp);
  }
}
