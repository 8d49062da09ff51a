/**
 * One fake WeChat API, a client wired to it through real loopback HTTP, and the facade — what each API test
 * suite starts in `before` and closes in `after`. Client logs are captured at debug level.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { WeChatApiClient, type WeChatApiClientOptions } from '../../../src/wechat/api/api-client.js';
import { createWeChatApi, type WeChatApi } from '../../../src/wechat/api/wechat-api.js';
import { startFakeWeChatApi, type FakeWeChatApi, type FakeWeChatApiOptions } from '../../../src/demo/fake-wechat-api/start-fake-wechat-api.js';
import { StableTokenProvider } from './stable-token-provider.js';

export interface ApiFixture {
  fake: FakeWeChatApi;
  tokens: StableTokenProvider;
  client: WeChatApiClient;
  api: WeChatApi;
  appId: string;
  appSecret: string;
  /** Every client log line so far. */
  logs(): string;
  /** Fails if any access token issued by the fake, or the app secret, occurs in `text`. */
  assertNoSecrets(text: string): void;
  close(): Promise<void>;
}

export interface ApiFixtureOptions {
  fake?: Partial<Omit<FakeWeChatApiOptions, 'appId' | 'appSecret'>>;
  client?: Partial<Omit<WeChatApiClientOptions, 'baseUrl' | 'tokens' | 'log'>>;
}

export async function startApiFixture(options: ApiFixtureOptions = {}): Promise<ApiFixture> {
  const appId = `wx${randomBytes(8).toString('hex')}`;
  const appSecret = randomBytes(16).toString('hex');
  const fake = await startFakeWeChatApi({ appId, appSecret, ...options.fake });
  const tokens = new StableTokenProvider(fake.url, appId, appSecret);
  const captured: Buffer[] = [];
  const destination = new PassThrough();
  destination.on('data', (chunk: Buffer) => captured.push(chunk));
  const log = pino({ level: 'debug' }, destination);
  // Fast busy retries, so tests of the -1 policy do not wait 1.3 s.
  const client = new WeChatApiClient({ baseUrl: fake.url, tokens, log, busyRetryDelaysMs: [5, 10], ...options.client });
  const api = createWeChatApi(client, { appId, appSecret });
  const logs = (): string => Buffer.concat(captured).toString('utf8');
  return {
    fake,
    tokens,
    client,
    api,
    appId,
    appSecret,
    logs,
    assertNoSecrets(text) {
      for (const token of fake.issuedTokens) assert.ok(!text.includes(token), 'an access token leaked');
      assert.ok(!text.includes(appSecret), 'the app secret leaked');
    },
    close: () => fake.close(),
  };
}

/** Everything an error shows: message, stack, causes and own properties. */
export function describeError(error: unknown): string {
  return `${String(error)}\n${inspect(error, { depth: 10 })}\n${JSON.stringify(error)}`;
}

/** Awaits `promise` expecting it to reject, and returns the error. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected a rejection');
}
