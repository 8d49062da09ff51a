import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJson, quoteUnsafeIntegers, stringifyJson } from '../../../src/wechat/api/json.js';

describe('parseJson', () => {
  it('keeps integers beyond 2^53 exact, as strings', () => {
    assert.deepEqual(parseJson('{"errcode":0,"errmsg":"ok","msgid":4611686018427400249}'), {
      errcode: 0,
      errmsg: 'ok',
      msgid: '4611686018427400249',
    });
    assert.deepEqual(parseJson('[9007199254740993,-9007199254740993,18446744073709551615]'), [
      '9007199254740993',
      '-9007199254740993',
      '18446744073709551615',
    ]);
  });

  it('leaves safe integers, fractions and exponents as numbers', () => {
    assert.deepEqual(parseJson('{"a":9007199254740991,"b":-9007199254740991,"c":12345678901234567.5,"d":1.2e300,"e":12345678901234567890e-3,"f":0}'), {
      a: 9007199254740991,
      b: -9007199254740991,
      c: Number('12345678901234567.5'),
      d: 1.2e300,
      e: Number('12345678901234567890e-3'),
      f: 0,
    });
  });

  it('never touches digits inside strings, escaped quotes and backslashes included', () => {
    const text = String.raw`{"a":"12345678901234567890","b":"say \"99999999999999999999\" now","c":"ends with backslash \\","d":99999999999999999999,"e":"\\\"12345678901234567890\\"}`;
    assert.deepEqual(parseJson(text), {
      a: '12345678901234567890',
      b: 'say "99999999999999999999" now',
      c: 'ends with backslash \\',
      d: '99999999999999999999',
      e: '\\"12345678901234567890\\',
    });
  });

  it('handles keys that look like numbers and whitespace around tokens', () => {
    assert.deepEqual(parseJson('{ "12345678901234567890" : [ 12345678901234567890 , true , null ] }'), {
      '12345678901234567890': ['12345678901234567890', true, null],
    });
  });

  it('returns the text unchanged when nothing needs quoting (same result as JSON.parse)', () => {
    const text = '{"list":[1,2,3],"name":"张三","nested":{"x":-0.5}}';
    assert.equal(quoteUnsafeIntegers(text), text);
    assert.deepEqual(parseJson(text), JSON.parse(text));
  });

  it('still rejects invalid JSON', () => {
    assert.throws(() => parseJson('{"a":12345678901234567890'), SyntaxError);
    assert.throws(() => parseJson('{"a":"unterminated 12345678901234567890}'), SyntaxError);
    assert.throws(() => parseJson('not json'), SyntaxError);
  });
});

describe('stringifyJson', () => {
  it('writes a bigint as a bare integer literal', () => {
    assert.equal(stringifyJson({ msgid: 4611686018427400249n, list: [1n, -2n] }), '{"msgid":4611686018427400249,"list":[1,-2]}');
  });

  it('round-trips an exact 64-bit id through parseJson and BigInt', () => {
    const parsed = parseJson(stringifyJson({ msgid: 18446744073709551615n })) as { msgid: string };
    assert.equal(parsed.msgid, '18446744073709551615');
    assert.equal(stringifyJson({ msgid: BigInt(parsed.msgid) }), '{"msgid":18446744073709551615}');
  });

  it('matches JSON.stringify for ordinary values', () => {
    const value = {
      text: 'quote " backslash \\ newline \n 中文 \u2028',
      number: 1.5,
      nan: Number.NaN,
      missing: undefined,
      fn: () => 1,
      list: [undefined, null, true, () => 1],
      date: new Date(0),
      nested: { empty: {}, emptyList: [] },
      boxed: new String('x'),
    };
    assert.equal(stringifyJson(value), JSON.stringify(value));
  });

  it('refuses cycles and values without a JSON form', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => stringifyJson(cyclic), /cyclic/);
    assert.throws(() => stringifyJson(undefined), TypeError);
  });
});
