/**
 * `wx-backend token show|refresh` against the fake WeChat API, in-process: the token is cached where the server
 * caches it, and never printed beyond its preview.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertNoStackTrace, startCliFixture, unusedLocalUrl, type CliFixture } from './cli-fixture.js';

describe('wx-backend token', () => {
  let fixture: CliFixture;
  before(async () => {
    fixture = await startCliFixture();
  });
  after(() => fixture.close());

  it('show before any fetch: state empty, where it would be cached, no call to WeChat', async () => {
    const result = await fixture.run(['token', 'show']);
    assert.equal(result.code, 0, result.output);
    assert.match(result.stdout, /^state: +empty$/m);
    assert.match(result.stdout, /^store: +file .*data\/access_token\.json$/m);
    assert.match(result.stdout, /^note: +no token cached yet/m);
    assert.equal(fixture.fake.calls.length, 0);
  });

  it('refresh fetches one through stable_token and prints its state', async () => {
    const result = await fixture.run(['token', 'refresh']);
    assert.equal(result.code, 0, result.output);
    assert.match(result.stdout, /^access token fetched from WeChat$/m);
    assert.match(result.stdout, /^state: +ok$/m);
    assert.match(result.stdout, /^refreshes: +1 by this command$/m);
    const calls = fixture.fake.callsTo('/cgi-bin/stable_token');
    assert.equal(calls.length, 1);
    assert.deepEqual((calls[0]?.body as { force_refresh?: boolean }).force_refresh, false);
  });

  it('show: state, preview, obtained (age), expiry — never the token', async () => {
    const result = await fixture.run(['token', 'show']);
    assert.equal(result.code, 0, result.output);
    const [token] = fixture.fake.issuedTokens;
    assert.ok(token);
    assert.ok(!result.output.includes(token), 'the access token was printed');
    assert.match(result.stdout, new RegExp(`^token: +${token.slice(0, 6).replace(/[-_]/g, '\\$&')}…$`, 'm'));
    assert.match(result.stdout, /^obtained: +\d{4}-\d\d-\d\dT\S+ \(\d+ s ago\)$/m);
    assert.match(result.stdout, /^expires: +\S+ \(in 2 h 0 min\)$|^expires: +\S+ \(in 1 h 59 min\)$/m);
  });

  it('other commands use the cached token: no second stable_token call', async () => {
    const result = await fixture.run(['users', 'list']);
    assert.equal(result.code, 0, result.output);
    assert.equal(fixture.fake.callsTo('/cgi-bin/stable_token').length, 1);
    assert.ok(fixture.fake.callsTo('/cgi-bin/user/get').every((call) => call.withAccessToken));
  });

  it('show --json: the status without the token', async () => {
    const result = await fixture.run(['token', 'show', '--json']);
    assert.equal(result.code, 0, result.output);
    const status = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.equal(status.state, 'ok');
    assert.equal(typeof status.expiresAt, 'number');
    assert.match(String(status.store), /^file /);
    assert.deepEqual(Object.keys(status).filter((key) => /^(token|value|accessToken)$/.test(key)), []);
  });

  it('refresh --force makes WeChat issue a new token, which is cached', async () => {
    const result = await fixture.run(['token', 'refresh', '--force']);
    assert.equal(result.code, 0, result.output);
    assert.match(result.stdout, /^access token refreshed: WeChat issued a new one$/m);
    assert.equal(fixture.fake.issuedTokens.length, 2);
    const newToken = fixture.fake.issuedTokens[1] ?? '';
    const show = await fixture.run(['token', 'show']);
    assert.ok(show.stdout.includes(`${newToken.slice(0, 6)}…`), show.stdout);
  });

  it('refresh refused by WeChat (40125): the AppSecret advice, exit code 1', async () => {
    fixture.fake.failNext('/cgi-bin/stable_token', 40125, { errmsg: 'invalid appsecret rid: 2' });
    const result = await fixture.run(['token', 'refresh']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^wx-backend token refresh: cannot get an access token: errcode 40125: invalid appsecret/m);
    assert.match(result.stderr, /hint: WECHAT_APPSECRET is wrong/);
    assertNoStackTrace(result.output);
  });

  it('refresh with WeChat out of reach: one line, exit code 1', async () => {
    const result = await fixture.run(['token', 'refresh'], { env: fixture.env({ WECHAT_API_BASE: await unusedLocalUrl() }) });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^wx-backend token refresh: cannot get an access token: .*stable_token.*ECONNREFUSED/m);
    assertNoStackTrace(result.output);
  });
});
