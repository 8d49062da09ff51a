/**
 * The logger the CLI hands to the WeChat services: warnings and above only, to standard error, never to the
 * server's log files. It is the project's logger (`createLogger`), so every line passes the same redaction as
 * the server's — configured secrets and anything token-shaped are hidden — and is then shortened from JSON to
 * one readable line, since a person reads it.
 */
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { secretValues, type AppConfig } from '../config/app-config.js';
import { createLogger } from '../logging/create-logger.js';
import type { CliIo } from './cli-io.js';

/** Fields every line has, or that say nothing to someone running a command. */
const LEFT_OUT = new Set(['level', 'time', 'name', 'pid', 'hostname', 'msg', 'component']);

export function createCliLogger(config: AppConfig, io: CliIo): Logger {
  const destination = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim() !== '') io.printError(readableLogLine(line));
      }
      callback();
    },
  });
  return createLogger({ ...config.log, level: 'warn', dir: '' }, { secrets: secretValues(config), destination, name: 'wx-backend-cli' });
}

/** `warn: fetching the access token failed; retrying (attempt=1 errcode=-1)` from a JSON log line. */
export function readableLogLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const details = Object.entries(record)
    .filter(([name]) => !LEFT_OUT.has(name))
    .map(([name, value]) => `${name}=${describeValue(value)}`);
  const level = typeof record.level === 'string' ? record.level : 'log';
  return `${level}: ${String(record.msg ?? '')}${details.length > 0 ? ` (${details.join(' ')})` : ''}`;
}

/** A serialized error by its message (its stack is for the server's logs, not a terminal). */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && 'message' in value && typeof value.message === 'string') return value.message;
  return JSON.stringify(value);
}
