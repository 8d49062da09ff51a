import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseQuery } from '../../src/http/callback/query-string.js';

describe('parseQuery', () => {
  it('reads single values, decoding escapes and +', () => {
    const query = parseQuery('/wechat?signature=abc&timestamp=123&nonce=4%205&echostr=a+b&flag');
    assert.deepEqual({ ...query }, { signature: 'abc', timestamp: '123', nonce: '4 5', echostr: 'a b', flag: '' });
  });

  it('a repeated parameter becomes an array, so callers expecting one value see none', () => {
    assert.deepEqual(parseQuery('/w?signature=a&signature=b').signature, ['a', 'b']);
  });

  it('an undecodable escape gives undefined instead of throwing', () => {
    assert.equal(parseQuery('/w?nonce=%E0%A4%A').nonce, undefined);
    assert.deepEqual({ ...parseQuery('/w?%ZZ=1') }, {});
  });

  it('never touches the prototype', () => {
    const query = parseQuery('/w?__proto__=x&constructor=y&toString=z');
    assert.equal(Object.getPrototypeOf(query), Object.prototype);
    assert.equal(({} as Record<string, unknown>).x, undefined);
    assert.equal(query.constructor, 'y');
    assert.equal(Object.hasOwn(query, '__proto__'), false);
  });

  it('no query string → empty', () => {
    assert.deepEqual({ ...parseQuery('/wechat') }, {});
  });
});
