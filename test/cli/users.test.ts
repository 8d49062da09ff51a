/**
 * `wx-backend users list|get` against the fake WeChat API (pages of 2 followers), in-process.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertNoStackTrace, startCliFixture, unusedLocalUrl, type CliFixture } from './cli-fixture.js';

const FOLLOWERS = ['oFollower_1', 'oFollower_2', 'oFollower_3', 'oFollower_4', 'oFollower_5'];

describe('wx-backend users', () => {
  let fixture: CliFixture;
  before(async () => {
    fixture = await startCliFixture({ listPageSize: 2 });
    for (const openId of FOLLOWERS) fixture.fake.addUser({ openId, remark: `remark of ${openId}` });
    fixture.fake.addUser({ openId: 'oGone', subscribed: false });
  });
  after(() => fixture.close());

  it('list prints one page of openids, the total and where the next page starts', async () => {
    const result = await fixture.run(['users', 'list']);
    assert.equal(result.code, 0, result.output);
    assert.equal(result.stdout, 'oFollower_1\noFollower_2\n');
    assert.equal(result.stderr, '2 of 5 followers; next page: wx-backend users list --next oFollower_2\n');
  });

  it('list --next OPENID prints the page after it', async () => {
    const result = await fixture.run(['users', 'list', '--next', 'oFollower_2']);
    assert.equal(result.code, 0, result.output);
    assert.equal(result.stdout, 'oFollower_3\noFollower_4\n');
    assert.match(result.stderr, /^2 of 5 followers; next page: .*--next oFollower_4$/m);
  });

  it('list --all prints every follower and the total', async () => {
    const result = await fixture.run(['users', 'list', '--all']);
    assert.equal(result.code, 0, result.output);
    assert.deepEqual(result.stdout.trim().split('\n'), FOLLOWERS);
    assert.equal(result.stderr, '5 of 5 followers\n');
  });

  it('get OPENID prints the profile as JSON', async () => {
    const result = await fixture.run(['users', 'get', 'oFollower_3']);
    assert.equal(result.code, 0, result.output);
    const profile = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.equal(profile.openId, 'oFollower_3');
    assert.equal(profile.subscribed, true);
    assert.equal(profile.remark, 'remark of oFollower_3');
  });

  it('get with several OPENIDs prints a JSON list in the order asked', async () => {
    const result = await fixture.run(['users', 'get', 'oFollower_5', 'oGone']);
    assert.equal(result.code, 0, result.output);
    const profiles = JSON.parse(result.stdout) as { openId: string; subscribed: boolean }[];
    assert.deepEqual(profiles.map(({ openId, subscribed }) => [openId, subscribed]), [['oFollower_5', true], ['oGone', false]]);
  });

  it('get of an unknown openid: errcode 40003 and exit code 1', async () => {
    const result = await fixture.run(['users', 'get', 'oNobody']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^wx-backend users get: errcode 40003: invalid openid/m);
    assertNoStackTrace(result.output);
  });

  it('list with a WeChat error: exit code 1', async () => {
    fixture.fake.failNext('/cgi-bin/user/get', 45009);
    const result = await fixture.run(['users', 'list', '--all']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /errcode 45009: .*\n {2}hint: the daily quota of this API is used up/);
  });

  it('an API that cannot be reached: one line naming the call, exit code 1, no stack trace', async () => {
    // The token cached by the runs above is used; only the API call itself fails.
    const result = await fixture.run(['users', 'list'], { env: fixture.env({ WECHAT_API_BASE: await unusedLocalUrl() }) });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^wx-backend users list: WeChat API GET \/cgi-bin\/user\/get: the request failed/m);
    assert.match(result.stderr, /hint: check the network and WECHAT_API_BASE/);
    assertNoStackTrace(result.output);
  });
});
