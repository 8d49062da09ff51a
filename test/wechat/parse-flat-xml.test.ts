import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_XML_ELEMENTS, XmlParseError, parseXml, parseXmlFlat, parseXmlFully } from '../../src/wechat/xml/parse-xml.js';
import type { ParsedXml } from '../../src/wechat/xml/parse-xml.js';
import { seededRandom } from '../support/seeded-random.js';
import { samples } from './message-samples.js';

// parseXml takes a fast path (parseFlatXml) for the flat documents WeChat sends and the full reader for everything
// else. The fast path must give exactly the full reader's result whenever it answers, and decline otherwise.

function full(text: string): ParsedXml | XmlParseError {
  try {
    return parseXmlFully(text);
  } catch (error) {
    if (error instanceof XmlParseError) return error;
    throw error;
  }
}

/** Same root, same own fields in the same order with the same values, same prototype. */
function assertSameResult(fast: ParsedXml, reference: ParsedXml, text: string): void {
  const label = JSON.stringify(text.slice(0, 300));
  assert.equal(fast.root, reference.root, label);
  assert.deepEqual(Object.entries(fast.fields), Object.entries(reference.fields), label);
  assert.equal(Object.getPrototypeOf(fast.fields), Object.getPrototypeOf(reference.fields), label);
}

/** Checks one input; returns whether the fast path answered. */
function check(text: string): boolean {
  const fast = parseXmlFlat(text);
  if (fast === undefined) return false;
  const reference = full(text);
  assert.ok(!(reference instanceof XmlParseError), `fast path accepted what the full reader refuses (${reference instanceof XmlParseError ? reference.code : ''}): ${JSON.stringify(text.slice(0, 300))}`);
  assertSameResult(fast, reference, text);
  return true;
}

describe('parseXml fast path (flat documents)', () => {
  it('answers for the flat samples, with the full reader’s result', () => {
    let answered = 0;
    for (const text of Object.values(samples)) if (check(text)) answered += 1;
    assert.ok(answered >= 5, `expected the fast path for most samples, got ${answered}`);
    assert.ok(check(samples.typicalText));
    assert.ok(check(samples.encryptedEnvelope));
  });

  it('answers for line breaks and spaces between elements and around text', () => {
    assert.ok(check('<xml>\n  <A><![CDATA[x]]></A>\r\n\t<B>  12  </B>\n</xml>\n'));
    assert.deepEqual({ ...parseXml('<xml>\n<A> 1 </A>\n</xml>').fields }, { A: '1' });
    assert.ok(check('<xml></xml>'));
    assert.ok(check('<xml><A></A><B><![CDATA[]]></B></xml>'));
  });

  it('keeps __proto__ and constructor as plain fields', () => {
    assert.ok(check('<xml><__proto__>1</__proto__><constructor>2</constructor><toString>3</toString></xml>'));
    const fields = parseXml('<xml><__proto__>1</__proto__></xml>').fields;
    assert.ok(Object.hasOwn(fields, '__proto__'));
  });

  it('declines everything outside the flat shape, which the full reader then decides', () => {
    const declined = [
      '<?xml version="1.0"?><xml><A>1</A></xml>', // declaration
      '\uFEFF<xml><A>1</A></xml>', // BOM
      ' <xml><A>1</A></xml>', // leading space
      '<xml a="1"><A>1</A></xml>', // attribute on the root
      '<xml><A b="1">1</A></xml>', // attribute
      '<xml><A>1</A><A>2</A></xml>', // repeated name (becomes an array)
      '<xml><A><B>1</B></A></xml>', // nesting
      '<xml><A>a &amp; b</A></xml>', // reference
      '<xml><A>x]]>y</A></xml>', // ]]> outside CDATA (malformed)
      '<xml><A>x<![CDATA[y]]></A></xml>', // text beside CDATA
      '<xml><A><![CDATA[x]]> </A></xml>', // space after CDATA
      '<xml><A><![CDATA[x]]><![CDATA[y]]></A></xml>', // two sections
      '<xml><!-- c --><A>1</A></xml>', // comment
      '<xml><A>1</A ></xml>', // space in the end tag
      '<xml><A/></xml>', // self-closing
      '<xml><A-b>1</A-b></xml>', // name outside the simple set
      '<xml><中>1</中></xml>',
      '<xml><A>1</B></xml>', // mismatched end tag (malformed)
      '<xml><A>1</A>', // unterminated (malformed)
      '<xml><A>1</A></xml><!-- after -->', // comment after the root
      '<xml><A>1</A></xml>x', // text after the root (malformed)
      '<xml>text<A>1</A></xml>', // text in the root (malformed)
      '<xml><!DOCTYPE x><A>1</A></xml>', // markup declaration (refused)
      '<root><A>1</A></root>', // another root name
    ];
    for (const text of declined) {
      assert.equal(parseXmlFlat(text), undefined, text);
      // parseXml gives exactly the full reader's answer for it.
      const reference = full(text);
      if (reference instanceof XmlParseError) {
        assert.throws(() => parseXml(text), (error: unknown) => error instanceof XmlParseError && error.code === reference.code, text);
      } else {
        assertSameResult(parseXml(text), reference, text);
      }
    }
  });

  it('declines more elements than the limit, so the full reader refuses them', () => {
    // The root counts as one element.
    const text = `<xml>${Array.from({ length: MAX_XML_ELEMENTS }, (_, index) => `<E${index}>1</E${index}>`).join('')}</xml>`;
    assert.equal(parseXmlFlat(text), undefined);
    assert.throws(() => parseXml(text), (error: unknown) => error instanceof XmlParseError && error.code === 'too-large');
    const atLimit = `<xml>${Array.from({ length: MAX_XML_ELEMENTS - 1 }, (_, index) => `<E${index}>1</E${index}>`).join('')}</xml>`;
    assert.ok(check(atLimit));
  });

  it('agrees with the full reader on random flat documents and their mutations', () => {
    const seed = 20261124;
    const next = seededRandom(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    const names = ['ToUserName', 'FromUserName', 'CreateTime', 'MsgType', 'Content', 'MsgId', 'Encrypt', 'A', '_x1', '__proto__', 'constructor', 'a9', 'B-c', 'D.e'];
    const pieces = ['a', '中文', ' ', '\n', '\t', '\r', '<', '>', '&', '&amp;', ']]', ']]>', ']', '[', '"', "'", '=', '/', '😀', '\uD800', '0', 'CDATA'];
    const spaces = ['', '', '', ' ', '\n', '\r\n', '\t'];
    const tokens = ['<', '>', '/', '!', '?', '&', ' ', '\n', ']]>', '<![CDATA[', '<!--', '-->', '</', '/>', '<A>', '</A>', 'a="1"', '<xml>', '</xml>'];
    const value = (): string => {
      let out = '';
      for (let count = Math.floor(next() * 6); count > 0; count -= 1) out += pick(pieces);
      return out;
    };
    let answered = 0;
    let total = 0;
    for (let iteration = 0; iteration < 20_000; iteration += 1) {
      let text = `<xml>${pick(spaces)}`;
      for (let count = Math.floor(next() * 7); count > 0; count -= 1) {
        const name = pick(names);
        const content = next() < 0.5 ? `<![CDATA[${value().replaceAll(']]>', ']]')}]]>` : `${pick(spaces)}${value()}${pick(spaces)}`;
        text += `<${name}>${content}</${name}>${pick(spaces)}`;
      }
      text += `</xml>${pick(spaces)}`;
      const mutations = next() < 0.5 ? 0 : 1 + Math.floor(next() * 3);
      for (let count = 0; count < mutations; count += 1) {
        const at = Math.floor(next() * (text.length + 1));
        const operation = Math.floor(next() * 3);
        if (operation === 0) text = text.slice(0, at) + pick(tokens) + text.slice(at);
        else if (operation === 1) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(next() * 4));
        else text = text.slice(0, at);
      }
      total += 1;
      if (check(text)) answered += 1;
    }
    // Not vacuous: the fast path answers for a good share of the inputs.
    assert.ok(answered > total / 10, `fast path answered ${answered} of ${total}`);
  });
});
