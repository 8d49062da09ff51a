// Process entry for the CLI (bin/wx-backend.js runs the compiled copy of this file).
import { runCli } from './main.js';

process.exitCode = await runCli(process.argv.slice(2));
