/**
 * Argument handling shared by the commands: `node:util` `parseArgs` with `-h/--help` on every command, and
 * `UsageError` for arguments that make no sense, which `runCli` reports with the command's help and exit code 2
 * (as for an unknown command).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  override readonly name = 'UsageError';

  /** @param help the usage text of the command that was misused, printed after the message. */
  constructor(message: string, readonly help: string) {
    super(message);
  }
}

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

const HELP_OPTION = { help: { type: 'boolean', short: 'h', default: false } } as const;

/**
 * Parses a command's arguments (positionals allowed, unknown options refused); `parseArgs`'s own errors
 * become a `UsageError` carrying `help`.
 */
export function parseCommandArgs<T extends OptionsConfig>(args: string[], options: T, help: string) {
  try {
    return parseArgs({ args, allowPositionals: true, strict: true, options: { ...HELP_OPTION, ...options } });
  } catch (error) {
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(error.message, help);
    }
    throw error;
  }
}

/** True for the ways of asking a command group for its help instead of running a subcommand. */
export function isHelpRequest(word: string | undefined): boolean {
  return word === '-h' || word === '--help' || word === 'help';
}

/** The positionals, exactly `count` of them (or at least `count` when `atLeast`), else a `UsageError`. */
export function requirePositionals(positionals: string[], names: string, count: number, help: string, atLeast = false): string[] {
  const fits = atLeast ? positionals.length >= count : positionals.length === count;
  if (!fits) {
    const given = positionals.length === 0 ? 'none given' : `got ${positionals.length}`;
    throw new UsageError(`expected ${names} (${given})`, help);
  }
  return positionals;
}
