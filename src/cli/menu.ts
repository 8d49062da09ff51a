/**
 * `wx-backend menu push FILE | show | delete`: the account's custom menu, from a menu file in the format of
 * `MENU_FILE` (JSON or YAML, validated exactly as at start-up).
 */
import path from 'node:path';
import { loadMenuFile, MenuFileError } from '../conversation/menu/menu-file.js';
import type { MenuDefinition } from '../conversation/menu/wechat-menu.js';
import type { CliIo } from './cli-io.js';
import { isHelpRequest, parseCommandArgs, requirePositionals, UsageError } from './command-line.js';
import { runWithWeChat } from './wechat-context.js';

export const menuHelp = `Usage: wx-backend menu push FILE [--dry-run]
       wx-backend menu show
       wx-backend menu delete

The account's custom menu (自定义菜单).

  push FILE     validates FILE (.json, .yaml or .yml, in the format of MENU_FILE: see examples/menu.yaml) and
                makes it the menu. "reply" and "prompt" stay on this server and are not sent to WeChat; they
                take effect where MENU_FILE names the same file.
  show          prints the current menu as JSON (a menu without conditional menus can be pushed back as it is)
                or "no menu"
  delete        deletes the menu, conditional menus included

Options:
  --dry-run     push: validate FILE and print what would be sent to WeChat, without sending it
  -h, --help    this help

Invalid FILE: its problems, one per line, and exit code 2.`;

export async function menuCommand(args: string[], io: CliIo): Promise<number> {
  const [subcommand, ...rest] = args;
  if (isHelpRequest(subcommand)) {
    io.print(menuHelp);
    return 0;
  }
  const { values, positionals } = parseCommandArgs(rest, { 'dry-run': { type: 'boolean', default: false } }, menuHelp);
  if (values.help) {
    io.print(menuHelp);
    return 0;
  }
  if (values['dry-run'] && subcommand !== 'push') throw new UsageError('--dry-run goes with push', menuHelp);
  switch (subcommand) {
    case 'push': {
      const [file = ''] = requirePositionals(positionals, 'the menu FILE', 1, menuHelp);
      return pushMenu(path.resolve(io.cwd, file), values['dry-run'], io);
    }
    case 'show':
      requirePositionals(positionals, 'no arguments', 0, menuHelp);
      return runWithWeChat(io, 'menu show', async ({ api, print }) => {
        const menus = await api.menu.get();
        if (menus === undefined) {
          print('no menu');
          return 0;
        }
        // WeChat's own shape, so that the output is a menu file again.
        const conditional = menus.conditionalMenus.map(({ buttons, matchRule, menuId }) => ({ button: buttons, matchrule: matchRule, menuid: menuId }));
        print(JSON.stringify({ button: menus.buttons, ...(conditional.length > 0 ? { conditionalmenu: conditional } : {}) }, null, 2));
        return 0;
      });
    case 'delete':
      requirePositionals(positionals, 'no arguments', 0, menuHelp);
      return runWithWeChat(io, 'menu delete', async ({ api, print }) => {
        await api.menu.delete();
        print('menu deleted');
        return 0;
      });
    case undefined:
      throw new UsageError('give a subcommand: push, show or delete', menuHelp);
    default:
      throw new UsageError(`unknown subcommand "${subcommand}"`, menuHelp);
  }
}

async function pushMenu(file: string, dryRun: boolean, io: CliIo): Promise<number> {
  let definition: MenuDefinition;
  try {
    definition = loadMenuFile(file);
  } catch (error) {
    if (!(error instanceof MenuFileError)) throw error;
    const count = error.problems.length;
    io.printError(`wx-backend menu push: ${file} is not a valid menu (${count} ${count === 1 ? 'problem' : 'problems'}):`);
    for (const problem of error.problems) io.printError(`  ${problem}`);
    return 2;
  }
  if (dryRun) {
    io.print(JSON.stringify(definition.menu, null, 2));
    return 0;
  }
  return runWithWeChat(io, 'menu push', async ({ api, config, print, printError }) => {
    await api.menu.create(definition.menu.button);
    const buttons = definition.menu.button.length;
    print(`menu pushed: ${buttons} top-level ${buttons === 1 ? 'button' : 'buttons'} from ${file}`);
    const actions = definition.actions.size;
    if (actions > 0 && config.menuFile !== file) {
      printError(`note: ${actions} ${actions === 1 ? 'button has' : 'buttons have'} a reply or prompt, which the server answers only when MENU_FILE names this file (and it is restarted)`);
    }
    return 0;
  });
}
