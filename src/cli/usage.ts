/**
 * `wx-backend usage`: the AI service's token usage — totals by day (and model) and the users who spent the most,
 * over a range of days — the report of `GET /admin/api/usage` (guard/usage/usage-report.ts), as a table or JSON.
 *
 * Where it reads: with `REDIS_URL` the usage every instance records in Redis, directly; without, usage lives in
 * the running server's memory, so the command asks that server's operator API (`ADMIN_TOKEN`).
 *
 * Exit codes: 0 the report was printed; 1 Redis or the server could not be read; 2 a usage or configuration problem.
 */
import type { AppConfig } from '../config/app-config.js';
import { RedisUsageStore } from '../guard/usage/redis-usage-store.js';
import { addDays } from '../guard/usage/usage-day.js';
import { buildUsageReport, UsageQueryError, usageQuery, type UsageQuery, type UsageReport, type UsageTotals } from '../guard/usage/usage-report.js';
import type { CliIo } from './cli-io.js';
import { parseCommandArgs, requirePositionals, UsageError } from './command-line.js';
import { closeRedis, connectCommandRedis, loadCommandConfig, printFailure } from './wechat-context.js';

export const usageHelp = `Usage: wx-backend usage [--from DAY] [--to DAY | --days N] [--top N] [--json]

The AI service's token usage: totals for each day (and each model) and the users who spent the most, over a
range of days. Days are YYYY-MM-DD in China's time (Asia/Shanghai), as the daily token budgets count them;
the default range is the last 7 days up to today. Calls whose service reported no usage are counted with
estimated tokens (column est.).

With REDIS_URL it reads the usage every instance records in Redis. Without it, usage lives in the running
server's memory: the command asks that server's operator API (GET /admin/api/usage), which needs ADMIN_TOKEN.

Options:
  --from DAY     first day (default: 6 days before --to)
  --to DAY       last day (default: today)
  --days N       the N days up to --to (instead of --from)
  --top N        users to list, most tokens first (default 10; 0: none)
  --json         print the report as JSON (the admin API's answer)
  --server URL   without REDIS_URL: the running server (default http://127.0.0.1:$PORT)
  -h, --help     this help

Exit codes: 0 printed; 1 Redis or the server could not be read; 2 usage or configuration problem.`;

export async function usageCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    from: { type: 'string' },
    to: { type: 'string' },
    days: { type: 'string' },
    top: { type: 'string' },
    json: { type: 'boolean', default: false },
    server: { type: 'string' },
  }, usageHelp);
  if (values.help) {
    io.print(usageHelp);
    return 0;
  }
  requirePositionals(positionals, 'no arguments', 0, usageHelp);
  const query = queryOf(values);
  const config = loadCommandConfig(io);
  if (config === undefined) return 2;
  if (config.redisUrl) {
    if (values.server !== undefined) throw new UsageError('--server is for a server without REDIS_URL; with it the usage is read from Redis', usageHelp);
    return fromRedis(config, config.redisUrl, query, values.json, io);
  }
  return fromServer(config, values.server ?? `http://127.0.0.1:${config.port}`, query, values.json, io);
}

/** The query of the options; a bad one is a usage problem. */
function queryOf(values: { from?: string | undefined; to?: string | undefined; days?: string | undefined; top?: string | undefined }): UsageQuery {
  if (values.days !== undefined && values.from !== undefined) throw new UsageError('--days and --from do not go together', usageHelp);
  if (values.days !== undefined && !/^[1-9]\d{0,2}$/.test(values.days)) throw new UsageError(`--days: expected a whole number from 1, got "${values.days}"`, usageHelp);
  try {
    const query = usageQuery({ from: values.from, to: values.to, top: values.top }, Date.now());
    return values.days === undefined ? query : usageQuery({ from: addDays(query.to, 1 - Number(values.days)), to: query.to, top: query.top }, Date.now());
  } catch (error) {
    if (error instanceof UsageQueryError) throw new UsageError(`--${error.parameter}: ${error.message}`, usageHelp);
    throw error;
  }
}

async function fromRedis(config: AppConfig, redisUrl: string, query: UsageQuery, json: boolean, io: CliIo): Promise<number> {
  const redis = await connectCommandRedis(redisUrl, 'usage', io.printError);
  if (redis === undefined) return 1;
  try {
    const store = new RedisUsageStore({ redis, keyPrefix: `${config.redisPrefix}usage:` });
    printReport(await buildUsageReport(store, query), json, io, `Redis, keys under ${config.redisPrefix}usage:`);
    return 0;
  } catch (error) {
    printFailure(io.printError, 'usage', [`cannot read the usage from Redis: ${error instanceof Error ? error.message : String(error)}`]);
    return 1;
  } finally {
    await closeRedis(redis);
  }
}

async function fromServer(config: AppConfig, server: string, query: UsageQuery, json: boolean, io: CliIo): Promise<number> {
  if (!config.adminToken) {
    io.printError('wx-backend usage: without REDIS_URL the usage is kept in the running server\'s memory, and the command asks its '
      + 'operator API for it, which needs ADMIN_TOKEN (set the same value as the server\'s).');
    return 2;
  }
  let url: URL;
  try {
    url = new URL('/admin/api/usage', server);
  } catch {
    throw new UsageError(`--server: expected a URL, got "${server}"`, usageHelp);
  }
  url.search = new URLSearchParams({ from: query.from, to: query.to, top: String(query.top) }).toString();
  let response: Response;
  try {
    response = await fetch(url, { headers: { authorization: `Bearer ${config.adminToken}` }, signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    const reason = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    printFailure(io.printError, 'usage', [`cannot reach the server at ${url.origin} (${reason})`, 'is it running? Without REDIS_URL the usage is in its memory; --server URL names another address.']);
    return 1;
  }
  const body = await response.text();
  if (response.status !== 200) {
    const hint = response.status === 401 ? 'ADMIN_TOKEN is not the server\'s' : response.status === 404 ? 'the server has no operator API (its ADMIN_TOKEN is not set) or is not wx-backend' : body.slice(0, 200);
    printFailure(io.printError, 'usage', [`the server answered ${response.status}`, hint]);
    return 1;
  }
  printReport(JSON.parse(body) as UsageReport, json, io, `the server at ${url.origin} (in its memory)`);
  return 0;
}

const TOTAL_COLUMNS = ['calls', 'est.', 'input', 'output', 'total'];

function totalCells(totals: UsageTotals): string[] {
  return [totals.calls, totals.estimatedCalls || '', totals.inputTokens, totals.outputTokens, totals.totalTokens].map(String);
}

/** Rows as aligned columns: the first left-aligned, the others right-aligned. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_cell, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]! + 2))).join('').trimEnd());
}

function printReport(report: UsageReport, json: boolean, io: CliIo, source: string): void {
  if (json) {
    io.print(JSON.stringify(report, null, 2));
    return;
  }
  const lines = [`Token usage ${report.from} … ${report.to} (days in ${report.timeZone}), from ${source}`, ''];
  lines.push(...table([
    ['day', ...TOTAL_COLUMNS, 'users'],
    ...report.days.map((day) => [day.day, ...totalCells(day), String(day.users)]),
    ['total', ...totalCells(report.total), String(report.total.users)],
  ]));
  const models = new Map<string, UsageTotals>();
  for (const model of report.days.flatMap((day) => day.models)) {
    const sum = models.get(model.model) ?? { inputTokens: 0, outputTokens: 0, totalTokens: 0, calls: 0, estimatedCalls: 0 };
    for (const key of ['inputTokens', 'outputTokens', 'totalTokens', 'calls', 'estimatedCalls'] as const) sum[key] += model[key];
    models.set(model.model, sum);
  }
  if (models.size > 0) {
    const byTokens = [...models].sort((a, b) => b[1].totalTokens - a[1].totalTokens || a[0].localeCompare(b[0]));
    lines.push('', ...table([['model', ...TOTAL_COLUMNS], ...byTokens.map(([model, totals]) => [model, ...totalCells(totals)])]));
  }
  if (report.topUsers.length > 0) {
    lines.push('', `top ${report.topUsers.length === 1 ? 'user' : `${report.topUsers.length} users`}`);
    lines.push(...table([['openid', ...TOTAL_COLUMNS], ...report.topUsers.map((user) => [user.openid, ...totalCells(user)])]));
  }
  if (report.total.estimatedCalls > 0) {
    lines.push('', `est.: calls whose service reported no usage; their tokens are estimates (${report.total.estimatedCalls} of ${report.total.calls}).`);
  }
  for (const line of lines) io.print(line);
}
