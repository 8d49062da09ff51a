/**
 * The application's pino logger: JSON lines to the console and, when `LOG_DIR` is set, to size-rotated files
 * (pino-roll in a worker thread). Secrets never reach either: pino's `redact` censors well-known keys, and a
 * `streamWrite` hook — which runs on every serialized line, at every level, for the root logger and all its
 * children — replaces every configured secret value and secret-looking parameter (see `redact.ts`).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pino } from 'pino';
import type { DestinationStream, Logger, MultiStreamRes } from 'pino';
import type { LogConfig } from '../config/app-config.js';
import { createRedactor, REDACTED } from './redact.js';
import type { Redactor } from './redact.js';

/** Base name of the log files: `wx-backend.1.log`, `wx-backend.2.log`, … (numbering continues across restarts). */
export const LOG_FILE_NAME = 'wx-backend.log';

/**
 * Keys censored structurally, at the top level and one level down (`{ wechat: { token } }`). Deeper ones are
 * caught by the value-based safety net: intermediate wildcards (`*.*.token`) are avoided on purpose, as pino's
 * redaction then walks into Buffers and throws (seen with pino 10.4 / @pinojs/redact).
 */
const SECRET_KEYS = [
  'token', 'secret', 'appSecret', 'appsecret', 'aesKey', 'encodingAesKey', 'EncodingAESKey', 'apiKey', 'api_key',
  'access_token', 'accessToken', 'adminToken', 'password', 'authorization',
];
const REDACTED_PATHS = [
  ...SECRET_KEYS.flatMap((key) => [key, `*.${key}`]),
  'headers.cookie', '*.headers.cookie', 'headers["x-admin-token"]', '*.headers["x-admin-token"]',
  'req.query.access_token', 'request.query.access_token',
];

interface LoggerStreams {
  console: DestinationStream | NodeJS.WritableStream;
  /** The pino-roll worker thread, when file logging is on. */
  file?: ThreadStreamLike;
  /** What the logger writes to: console + file. */
  combined: MultiStreamRes;
  redactor: Redactor;
}

/** The part of thread-stream (pino's transport stream) this module relies on. */
interface ThreadStreamLike extends DestinationStream {
  flush(callback: (error?: Error | null) => void): void;
  end(): void;
  ref(): void;
  unref(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  once(event: 'close', listener: () => void): unknown;
  readonly closed: boolean;
}

// Stored on the root logger; pino children are created with `Object.create(parent)`, so they inherit it.
const loggerStreams = Symbol('wx-backend.loggerStreams');
type LoggerWithStreams = Logger & { [loggerStreams]?: LoggerStreams };

const require = createRequire(import.meta.url);

export interface CreateLoggerOptions {
  /** Values hidden from every line (typically `secretValues(config)`); an EncodingAESKey also hides its decoded forms. */
  secrets: string[];
  /** Replaces stdout as the console destination (tests capture output here). */
  destination?: NodeJS.WritableStream;
  /** `name` field on every line (default `wx-backend`). */
  name?: string;
}

export function createLogger(config: LogConfig, options: CreateLoggerOptions): Logger {
  const redactor = createRedactor(options.secrets);
  const consoleStream = options.destination ?? pino.destination({ dest: 1, sync: true });
  // Streams accept everything; the logger's own level decides what is written.
  const combined: MultiStreamRes = pino.multistream([{ level: 'trace' as const, stream: consoleStream as DestinationStream }]);
  let fileStream: ThreadStreamLike | undefined;
  if (config.dir !== '') {
    fileStream = createRollingFileStream(config);
    combined.add({ level: 'trace' as const, stream: fileStream });
    fileStream.on('error', (error) => {
      // A broken log folder must not take the service down, nor loop back into the failing stream.
      const line = JSON.stringify({ level: 'error', time: new Date().toISOString(), msg: `log file error: ${error.message}` });
      consoleStream.write(`${redactor.redact(line)}\n`);
    });
  }
  const logger: LoggerWithStreams = pino(
    {
      name: options.name ?? 'wx-backend',
      level: config.level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: REDACTED },
      hooks: { streamWrite: (line) => redactor.redact(line) },
    },
    combined,
  );
  const streams: LoggerStreams = { console: consoleStream, file: fileStream, combined, redactor };
  Object.defineProperty(logger, loggerStreams, { value: streams, enumerable: false });
  return logger;
}

function createRollingFileStream(config: LogConfig): ThreadStreamLike {
  return pino.transport({
    // Resolved here: pino would otherwise resolve the name relative to the caller's file.
    target: require.resolve('pino-roll'),
    options: {
      file: path.join(config.dir, LOG_FILE_NAME),
      // pino-roll reads a plain number as megabytes.
      size: config.fileSizeBytes / 1024 ** 2,
      mkdir: true,
      // pino-roll's `count` is "rotated files besides the active one" and must be at least 1, so
      // LOG_BACKUP_COUNT=0 keeps one. `removeOtherLogFiles` applies the limit to files left by earlier runs too.
      limit: { count: Math.max(1, config.backupCount), removeOtherLogFiles: true },
    },
  }) as unknown as ThreadStreamLike;
}

function streamsOf(logger: Logger): LoggerStreams | undefined {
  return (logger as LoggerWithStreams)[loggerStreams];
}

/**
 * Adds a secret learnt at run time (e.g. an access token just fetched) to the values this logger hides.
 * Works with the root logger or any child of it.
 */
export function addLoggerSecret(logger: Logger, secret: string): void {
  streamsOf(logger)?.redactor.addSecret(secret);
}

function flushStream(stream: unknown): Promise<void> {
  const flushable = stream as { flush?: (callback: (error?: Error | null) => void) => void } | undefined;
  if (typeof flushable?.flush !== 'function') return Promise.resolve();
  // Errors are swallowed: flushing happens on the way out, where there is nobody left to report them to.
  return new Promise((resolve) => {
    try {
      flushable.flush?.(() => resolve());
    } catch {
      resolve();
    }
  });
}

/** Writes out everything logged so far (console and log files); the logger stays usable. */
export async function flushLogger(logger: Logger): Promise<void> {
  const streams = streamsOf(logger);
  if (!streams) {
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    return;
  }
  await Promise.all([flushStream(streams.console), flushStream(streams.file)]);
}

/**
 * Flushes, then stops the log-file worker thread and waits until its files are closed. Use at the very end
 * (tests, last step of shutdown); lines logged afterwards reach the console only.
 */
export async function closeLogger(logger: Logger): Promise<void> {
  await flushLogger(logger);
  const streams = streamsOf(logger);
  const file = streams?.file;
  if (!streams || !file) return;
  // Detach first, so lines logged from now on go to the console only instead of failing on a closed stream.
  const entry = streams.combined.streams.find((candidate) => candidate.stream === file) as { id?: number } | undefined;
  if (entry?.id !== undefined) streams.combined.remove(entry.id);
  streams.file = undefined;
  if (file.closed) return;
  await new Promise<void>((resolve) => {
    // The worker is unref'd by pino; keep it referenced until it has closed its files, or an otherwise idle
    // process would exit (or a test runner give up) while waiting.
    file.ref();
    file.once('close', () => {
      file.unref();
      resolve();
    });
    file.end();
  });
}
