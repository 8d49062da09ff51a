/** The limit and usage variables: defaults (every limit off), parsing, and the problems invalid values give. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfig } from '../../../src/config/load-config.js';

const ACCOUNT = { WECHAT_TOKEN: 'realtoken123', WECHAT_APPID: 'wx1234567890abcdef' };
const folder = mkdtempSync(path.join(tmpdir(), 'wx-limits-config-'));
after(() => rmSync(folder, { recursive: true, force: true }));
const load = (env: Record<string, string>) => loadConfig({ ...ACCOUNT, ...env }, { cwd: folder, envFile: false });

describe('limit and usage configuration', () => {
  it('defaults: every limit off, no exempt users, the two messages, 90 days of usage', () => {
    const config = load({});
    assert.deepEqual(config.limits, {
      ratePerMinute: 0, userDailyTokenBudget: 0, accountDailyTokenBudget: 0, exemptOpenIds: [],
      rateMessage: '你的提问太频繁了，请稍后再试。', budgetMessage: '今天的提问额度已经用完了，请明天再来。',
    });
    assert.equal(config.usageRetentionDays, 90);
  });

  it('reads every variable; the exempt list is split at commas and trimmed', () => {
    const config = load({
      RATE_LIMIT_PER_MINUTE: '6', USER_DAILY_TOKEN_BUDGET: '20000', ACCOUNT_DAILY_TOKEN_BUDGET: '1000000',
      LIMIT_EXEMPT_OPENIDS: ' oOperator1, oOperator2 ,,', RATE_LIMIT_MESSAGE: ' 慢一点 ', TOKEN_BUDGET_MESSAGE: '明天见', USAGE_RETENTION_DAYS: '30',
    });
    assert.deepEqual(config.limits, {
      ratePerMinute: 6, userDailyTokenBudget: 20000, accountDailyTokenBudget: 1000000, exemptOpenIds: ['oOperator1', 'oOperator2'],
      rateMessage: '慢一点', budgetMessage: '明天见',
    });
    assert.equal(config.usageRetentionDays, 30);
  });

  it('invalid values are problems naming the variable', () => {
    assert.throws(() => load({ RATE_LIMIT_PER_MINUTE: '-1', USER_DAILY_TOKEN_BUDGET: '1e5', ACCOUNT_DAILY_TOKEN_BUDGET: 'lots', USAGE_RETENTION_DAYS: '0' }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      const named = error.problems.map((problem) => problem.slice(0, problem.indexOf(':')));
      assert.deepEqual(named, ['RATE_LIMIT_PER_MINUTE', 'USER_DAILY_TOKEN_BUDGET', 'ACCOUNT_DAILY_TOKEN_BUDGET', 'USAGE_RETENTION_DAYS']);
      return true;
    });
  });
});
