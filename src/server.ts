/**
 * The process entry point: reads the configuration, starts the service, listens, and shuts down gracefully.
 * The only module that listens on a port or handles signals.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AppConfig } from './config/app-config.js';
import { secretValues } from './config/app-config.js';
import { ConfigError } from './config/config-error.js';
import { ensureDirectories, formatConfigProblems, loadConfig } from './config/load-config.js';
import { closeLogger, createLogger } from './logging/create-logger.js';
import type { ShutdownReport } from './jobs/answer-queue.js';
import type { RuntimeOverrides } from './runtime.js';

export interface RunningServer {
  app: FastifyInstance;
  config: AppConfig;
  log: Logger;
  /** The address actually bound, e.g. `http://127.0.0.1:5080`. */
  url: string;
  /** Stops accepting, finishes in-flight requests, releases Redis and flushes logs (answers still coming are dropped). */
  close(): Promise<void>;
  /**
   * The graceful close (SIGTERM): stops accepting callbacks, lets the answers in flight finish — their model calls
   * complete, their customer-service messages go out, held answers are handed over — until `deadline` (a
   * `Date.now()` time), then closes the rest like `close()`. Logs how many finished, or at WARN which were handed
   * back to the queue (Redis) or abandoned (one process).
   */
  shutdown(deadline: number): Promise<ShutdownReport>;
}


export interface StartOptions {
  cwd?: string;
  /** `.env` file to read, or false for none (tests); default: `.env` in `cwd`. */
  envFile?: string | false;
  /** Log destination instead of stdout (tests). */
  logDestination?: NodeJS.WritableStream;
  /** Parts to use instead of the ones built from the configuration (tests, embedding). */
  overrides?: RuntimeOverrides;
  /** The web simulator's wait per WeChat delivery (5 s); tests only, to keep slow scenarios short. */
  simulatorTimeoutMs?: number;
}

export async function startServer(env: Record<string, string | undefined>, options: StartOptions = {}): Promise<RunningServer> {
  const config = loadConfig(env, {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.envFile === undefined ? {} : { envFile: options.envFile }),
  });
  ensureDirectories(config);
  const log = createLogger(config.log, {
    secrets: secretValues(config),
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  // Loaded only once the configuration is valid: a configuration error is reported without first loading the
  // HTTP framework, the AI SDKs and the Redis client (about half a second of start-up on a small machine).
  const [{ createRuntime }, { buildApp }] = await Promise.all([import('./runtime.js'), import('./app.js')]);
  const runtime = await createRuntime(config, log, options.overrides, {
    cwd: options.cwd ?? process.cwd(),
    ...(options.simulatorTimeoutMs === undefined ? {} : { simulatorTimeoutMs: options.simulatorTimeoutMs }),
  });
  const app = await buildApp(config, runtime.dependencies);
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await runtime.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  log.info({ port, path: config.wechat.path, demo: config.demo, aes: Boolean(config.wechat.aesKey), redis: Boolean(config.redisUrl) }, 'wx-backend listening');
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await app.close();
      await runtime.close();
      await closeLogger(log);
    })();
    return closing;
  };
  let shuttingDown: Promise<ShutdownReport> | undefined;
  return {
    app,
    config,
    log,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close,
    shutdown(deadline) {
      shuttingDown ??= (async () => {
        // The server stops listening and callbacks on open connections get 503 (app.ts); the deliveries already
        // open still run, and may queue answers of their own: those are in the queue before it stops.
        const appClosed = app.close();
        const queue = runtime.answerQueue;
        const report = queue ? await queue.stop(deadline) : { finished: 0, unfinished: [], handedBack: false };
        // Deliveries still open at the deadline (a held one waits up to 6 s for its answer) are cut.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([appClosed, new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))))]);
        clearTimeout(timer);
        app.server.closeAllConnections();
        await appClosed;
        if (report.unfinished.length > 0 && report.handedBack) {
          log.warn({ finished: report.finished, handedBack: report.unfinished.length, messageKeys: report.unfinished }, `shutdown: answers in flight handed back to the queue ${report.unfinished.length} (unfinished within SHUTDOWN_TIMEOUT; another instance, or this one restarted, finishes them), finished ${report.finished}`);
        } else if (report.unfinished.length > 0) {
          log.warn({ finished: report.finished, abandoned: report.unfinished.length, messageKeys: report.unfinished }, `shutdown: answers in flight abandoned ${report.unfinished.length} (unfinished within SHUTDOWN_TIMEOUT), finished ${report.finished}`);
        } else {
          log.info({ finished: report.finished }, `shutdown: answers in flight finished ${report.finished}`);
        }
        await close();
        return report;
      })();
      return shuttingDown;
    },
  };
}

function demoBanner(server: RunningServer): string {
  const { config, url } = server;
  return [
    '',
    '  ┌──────────────────────────────────────────────────────────────────────┐',
    '  │  wx-backend is running in DEMO MODE — it is NOT connected to WeChat.  │',
    '  └──────────────────────────────────────────────────────────────────────┘',
    `  Callback:    ${url}${config.wechat.path}   (AI service: ${config.agent.type})`,
    `  Simulator:   ${url}/simulator   (a WeChat chat in the browser)`,
    '  Try it:      npm run simulate -- "你好"        (or: npx wx-backend simulate "你好" --encrypted)',
    '  Credentials: generated for this machine, kept in demo-credentials.json beside TOKEN_FILE_PATH.',
    '  Go live:     set WECHAT_TOKEN, WECHAT_APPID (and WECHAT_AES_KEY, WECHAT_APPSECRET) — see README.',
    '',
  ].join('\n');
}

export async function main(): Promise<void> {
  let server: RunningServer;
  try {
    server = await startServer(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${formatConfigProblems(error)}\n`);
      process.exit(2);
    }
    process.stderr.write(`wx-backend failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  process.on('unhandledRejection', (reason) => server.log.error({ err: reason }, 'unhandled promise rejection'));
  // Exit codes: 0 after a shutdown that ran its course — also when answers were abandoned at SHUTDOWN_TIMEOUT
  // (the WARN line names them; the stop itself was asked for and done); 1 when closing itself failed or hung.
  const shutdown = (signal: string) => {
    const timeoutMs = server.config.shutdownTimeoutSeconds * 1000;
    server.log.info({ signal, timeoutSeconds: server.config.shutdownTimeoutSeconds }, 'shutting down: finishing the answers in flight');
    const force = setTimeout(() => {
      server.log.error('shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs);
    force.unref();
    // Answers get the timeout less a moment (at most 0.5 s) to close the rest and flush the logs.
    server.shutdown(Date.now() + timeoutMs - Math.min(500, timeoutMs / 4)).then(
      () => process.exit(0),
      (error: unknown) => {
        server.log.error({ err: error }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  // After the signal handlers: whoever waits for the banner may stop the server right away.
  if (server.config.demo) console.log(demoBanner(server));
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(realpathSync(entry)).href) void main();
