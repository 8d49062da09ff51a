/**
 * `wx-backend tags …`: user tags (标签), which conditional menus and targeted pushes select by.
 */
import type { CliIo } from './cli-io.js';
import { isHelpRequest, parseCommandArgs, requirePositionals, UsageError } from './command-line.js';
import { runWithWeChat } from './wechat-context.js';

export const tagsHelp = `Usage: wx-backend tags list
       wx-backend tags create NAME
       wx-backend tags delete ID
       wx-backend tags tag ID OPENID...
       wx-backend tags untag ID OPENID...
       wx-backend tags of OPENID

User tags (标签): up to 100 per account, 20 per user; ids 0-2 are WeChat's own.

  list                 prints every tag: id, users carrying it, name
  create NAME          creates a tag (NAME at most 30 bytes) and prints its id
  delete ID            deletes a tag (its users lose it)
  tag ID OPENID...     gives the tag to users
  untag ID OPENID...   takes the tag from users
  of OPENID            prints the tags a user carries

Options:
  -h, --help           this help`;

export async function tagsCommand(args: string[], io: CliIo): Promise<number> {
  const [subcommand, ...rest] = args;
  if (isHelpRequest(subcommand)) {
    io.print(tagsHelp);
    return 0;
  }
  const { values, positionals } = parseCommandArgs(rest, {}, tagsHelp);
  if (values.help) {
    io.print(tagsHelp);
    return 0;
  }
  switch (subcommand) {
    case 'list':
      requirePositionals(positionals, 'no arguments', 0, tagsHelp);
      return runWithWeChat(io, 'tags list', async ({ api, print }) => {
        const tags = await api.tags.list();
        if (tags.length === 0) print('no tags');
        for (const tag of tags) print(`${String(tag.id).padStart(5)}  ${String(tag.count).padStart(7)}  ${tag.name}`);
        return 0;
      });
    case 'create': {
      const name = requirePositionals(positionals, 'the tag NAME', 1, tagsHelp, true).join(' ');
      return runWithWeChat(io, 'tags create', async ({ api, print }) => {
        const tag = await api.tags.create(name);
        print(`created tag ${tag.id} ${tag.name}`);
        return 0;
      });
    }
    case 'delete': {
      const [id] = requirePositionals(positionals, 'the tag ID', 1, tagsHelp);
      const tagId = parseTagId(id);
      return runWithWeChat(io, 'tags delete', async ({ api, print }) => {
        await api.tags.delete(tagId);
        print(`deleted tag ${tagId}`);
        return 0;
      });
    }
    case 'tag':
    case 'untag': {
      const [id, ...openIds] = requirePositionals(positionals, 'the tag ID and one or more OPENIDs', 2, tagsHelp, true);
      const tagId = parseTagId(id);
      return runWithWeChat(io, `tags ${subcommand}`, async ({ api, print }) => {
        if (subcommand === 'tag') await api.tags.tagUsers(tagId, openIds);
        else await api.tags.untagUsers(tagId, openIds);
        const users = `${openIds.length} ${openIds.length === 1 ? 'user' : 'users'}`;
        print(subcommand === 'tag' ? `tag ${tagId} given to ${users}` : `tag ${tagId} taken from ${users}`);
        return 0;
      });
    }
    case 'of': {
      const [openId = ''] = requirePositionals(positionals, 'one OPENID', 1, tagsHelp);
      return runWithWeChat(io, 'tags of', async ({ api, print }) => {
        const [tagIds, tags] = await Promise.all([api.tags.tagsOfUser(openId), api.tags.list()]);
        const names = new Map(tags.map((tag) => [tag.id, tag.name]));
        if (tagIds.length === 0) print('no tags');
        for (const tagId of tagIds) print(`${String(tagId).padStart(5)}  ${names.get(tagId) ?? ''}`.trimEnd());
        return 0;
      });
    }
    case undefined:
      throw new UsageError('give a subcommand: list, create, delete, tag, untag or of', tagsHelp);
    default:
      throw new UsageError(`unknown subcommand "${subcommand}"`, tagsHelp);
  }
}

function parseTagId(text: string | undefined): number {
  if (text === undefined || !/^\d{1,9}$/.test(text)) throw new UsageError(`a tag ID is a number, got "${text ?? ''}"`, tagsHelp);
  return Number(text);
}
