/**
 * What a command reads and writes besides its arguments. `runCli` takes it as a parameter so that tests run
 * commands in-process with their own environment, folder and captured output; the process entry passes
 * `processIo()`.
 */
export interface CliIo {
  /** The environment the configuration is read from (with `.env`, exactly as the server reads it). */
  env: Record<string, string | undefined>;
  /** The folder `.env` and relative paths (`TOKEN_FILE_PATH`, `MENU_FILE`, a menu file argument) are taken from. */
  cwd: string;
  /** `.env` file to read (relative to `cwd`), or false for none. Default, as for the server: `.env` if present. */
  envFile?: string | false;
  /** Writes one line to standard output (the command's result). */
  print(line: string): void;
  /** Writes one line to standard error (problems, progress, warnings). */
  printError(line: string): void;
}

export function processIo(): CliIo {
  return {
    env: process.env,
    cwd: process.cwd(),
    print: (line) => process.stdout.write(`${line}\n`),
    printError: (line) => process.stderr.write(`${line}\n`),
  };
}
