/**
 * `onCall`, what the metrics count WeChat API calls by: one report per request to WeChat (a retry after an invalid
 * token or a busy answer is a request too), with WeChat's errcode, 0 on success, `transport` without a usable
 * answer — and an observer that throws changes nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WeChatApiClient, type ApiCallRecord } from '../../../src/wechat/api/api-client.js';
import { WeChatApiError } from '../../../src/wechat/api/wechat-api-error.js';

const tokens = { getToken: async () => 'old-token', refreshAfterInvalid: async () => 'new-token' };

/** A fetch answering the given JSON bodies (or throwing for `'network'`) in turn. */
function answering(...answers: Array<object | 'network'>): typeof fetch {
  return async () => {
    const answer = answers.shift();
    if (answer === undefined || answer === 'network') throw new TypeError('fetch failed');
    return new Response(JSON.stringify(answer), { headers: { 'content-type': 'application/json' } });
  };
}

describe('WeChatApiClient onCall', () => {
  it('reports every request with its path and errcode', async () => {
    const calls: ApiCallRecord[] = [];
    const client = new WeChatApiClient({
      baseUrl: 'https://api.example',
      tokens,
      busyRetryDelaysMs: [1],
      onCall: (call) => calls.push(call),
      fetch: answering({ errcode: 40001, errmsg: 'invalid credential' }, { errcode: 0, errmsg: 'ok' }, { errcode: -1, errmsg: 'busy' }, { errcode: 45015, errmsg: 'out of window' }, 'network'),
    });
    await client.post('/cgi-bin/message/custom/send', {});
    await assert.rejects(client.get('/cgi-bin/user/info'), (error) => error instanceof WeChatApiError && error.errcode === 45015);
    await assert.rejects(client.get('/cgi-bin/menu/get'));
    assert.deepEqual(calls, [
      { path: '/cgi-bin/message/custom/send', errcode: 40001 },
      { path: '/cgi-bin/message/custom/send', errcode: 0 },
      { path: '/cgi-bin/user/info', errcode: -1 },
      { path: '/cgi-bin/user/info', errcode: 45015 },
      { path: '/cgi-bin/menu/get', errcode: 'transport' },
    ]);
  });

  it('an observer that throws does not change the call', async () => {
    const client = new WeChatApiClient({
      baseUrl: 'https://api.example',
      tokens,
      onCall: () => {
        throw new Error('broken observer');
      },
      fetch: answering({ errcode: 0, errmsg: 'ok', menu: {} }),
    });
    assert.deepEqual(await client.get('/cgi-bin/menu/get'), { errcode: 0, errmsg: 'ok', menu: {} });
  });
});
