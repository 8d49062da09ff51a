/** A pino logger whose lines are kept, parsed, for tests that check what was logged (and what was not). */
import { pino, type Logger } from 'pino';

export interface CapturedLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export function capturedLog(level = 'debug'): { log: Logger; lines: CapturedLine[]; text(): string } {
  const lines: CapturedLine[] = [];
  const raw: string[] = [];
  const log = pino({ level }, {
    write(line: string) {
      raw.push(line);
      lines.push(JSON.parse(line) as CapturedLine);
    },
  });
  return { log, lines, text: () => raw.join('') };
}

/** pino's numeric levels. */
export const LEVEL = { debug: 20, info: 30, warn: 40 } as const;
