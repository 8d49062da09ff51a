/**
 * A fake WeChat API over loopback HTTP and a temporary folder, with `run(args)` executing `wx-backend` commands
 * in-process through `runCli` — the configuration given as an environment, output captured — and checks that
 * nothing secret was printed. Process-level tests use `env()` with `test/support/processes.ts`.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CliIo } from '../../src/cli/cli-io.js';
import { runCli } from '../../src/cli/main.js';
import { startFakeWeChatApi, type FakeWeChatApi, type FakeWeChatApiOptions } from '../../src/demo/fake-wechat-api/start-fake-wechat-api.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as written. */
  output: string;
}

export interface RunOptions {
  /** Replaces the whole environment (default: `fixture.env()`). */
  env?: Record<string, string>;
  /** As `CliIo.envFile`; left out: false (no `.env`); given as undefined: the server's default. */
  envFile?: string | false;
}

export interface CliFixture {
  fake: FakeWeChatApi;
  folder: string;
  appId: string;
  appSecret: string;
  callbackToken: string;
  /** The configuration of an account served by the fake, plus `extra`. */
  env(extra?: Record<string, string>): Record<string, string>;
  run(args: string[], options?: RunOptions): Promise<CliResult>;
  /** Fails if the app secret, the callback token or any token the fake issued appears in `text`. */
  assertNoSecrets(text: string): void;
  close(): Promise<void>;
}

export async function startCliFixture(options: Partial<Omit<FakeWeChatApiOptions, 'appId' | 'appSecret'>> = {}): Promise<CliFixture> {
  const appId = `wx${randomBytes(8).toString('hex')}`;
  const appSecret = randomBytes(16).toString('hex');
  const callbackToken = `callback${randomBytes(8).toString('hex')}`;
  const fake = await startFakeWeChatApi({ appId, appSecret, ...options });
  const folder = mkdtempSync(path.join(tmpdir(), 'wx-cli-'));
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    WECHAT_API_BASE: fake.url,
    WECHAT_APPID: appId,
    WECHAT_APPSECRET: appSecret,
    WECHAT_TOKEN: callbackToken,
    TOKEN_FILE_PATH: path.join(folder, 'data', 'access_token.json'),
    LOG_DIR: '',
    ...extra,
  });
  const assertNoSecrets = (text: string): void => {
    assert.ok(!text.includes(appSecret), 'the app secret was printed');
    assert.ok(!text.includes(callbackToken), 'the callback token was printed');
    for (const token of fake.issuedTokens) assert.ok(!text.includes(token), 'an access token was printed');
  };
  return {
    fake,
    folder,
    appId,
    appSecret,
    callbackToken,
    env,
    assertNoSecrets,
    async run(args, runOptions = {}) {
      let stdout = '';
      let stderr = '';
      let output = '';
      const io: CliIo = {
        env: runOptions.env ?? env(),
        cwd: folder,
        // An explicit `envFile: undefined` means the server's default: `.env` in the folder, if there is one.
        envFile: 'envFile' in runOptions ? runOptions.envFile : false,
        print(line) {
          stdout += `${line}\n`;
          output += `${line}\n`;
        },
        printError(line) {
          stderr += `${line}\n`;
          output += `${line}\n`;
        },
      };
      const code = await runCli(args, io);
      assertNoSecrets(output);
      return { code, stdout, stderr, output };
    },
    async close() {
      await fake.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** No stack trace in what a command printed: expected failures are sentences. */
export function assertNoStackTrace(text: string): void {
  assert.doesNotMatch(text, /^\s+at .+\(.+:\d+:\d+\)$/m, `a stack trace was printed:\n${text}`);
}

/** The URL of a loopback port nothing listens on (taken, then released), for "cannot connect". */
export async function unusedLocalUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
