/**
 * `wx-backend COMMAND …`: the command-line entry. Each command lives in its own module and returns an exit code.
 */
import { simulateCommand } from './simulate.js';

const help = `Usage: wx-backend COMMAND [options]

Commands:
  serve              start the service (same as npm start)
  simulate TEXT      send TEXT to a running server as WeChat would and print the reply

Run "wx-backend COMMAND --help" for a command's options.`;

export async function runCli(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'simulate':
      return simulateCommand(rest);
    case 'serve': {
      // server.ts starts itself only when it is the entry point; imported here, it is started explicitly.
      await import('../server.js').then((server) => server.main());
      return 0;
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      console.log(help);
      return command === undefined ? 2 : 0;
    default:
      console.error(`wx-backend: unknown command "${command}"\n\n${help}`);
      return 2;
  }
}
