import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findUtf8Cut, splitByUtf8Bytes, utf8ByteLength } from '../../../src/delivery/text/split-by-bytes.js';
import { assertPiecesCover, chineseAnswer, hasLoneSurrogate } from './text-fixtures.js';

function assertWithin(pieces: readonly string[], maxBytes: number): void {
  for (const piece of pieces) {
    assert.ok(piece.length > 0, 'empty piece');
    assert.ok(utf8ByteLength(piece) <= maxBytes, `${utf8ByteLength(piece)} bytes > ${maxBytes}: ${piece.slice(0, 40)}…`);
    assert.equal(piece, piece.trimEnd(), 'piece ends with whitespace');
  }
}

void describe('splitByUtf8Bytes', () => {
  void it('splits a 6,000-character Chinese answer into pieces of at most 2048 bytes, losing nothing', () => {
    const text = chineseAnswer(6_000);
    assert.ok(text.length >= 6_000);
    const pieces = splitByUtf8Bytes(text, 2048);
    assertWithin(pieces, 2048);
    assertPiecesCover(text, pieces);
    // 3 bytes a character: at least 6000 × 3 / 2048 pieces, and cuts at boundaries fill them at least halfway.
    assert.ok(pieces.length >= 9 && pieces.length <= 18, `${pieces.length} pieces`);
    for (const piece of pieces.slice(0, -1)) assert.match(piece, /[。！？]$/, 'a piece ends mid-sentence');
  });

  void it('returns a text that fits as is, and nothing for blank text', () => {
    assert.deepEqual(splitByUtf8Bytes('你好，世界', 2048), ['你好，世界']);
    assert.deepEqual(splitByUtf8Bytes('\n\n  hi  \n', 2048), ['  hi']);
    assert.deepEqual(splitByUtf8Bytes(' \n\t ', 2048), []);
    assert.deepEqual(splitByUtf8Bytes('', 2048), []);
    // Exactly at the limit: 682 × 3 + 2 = 2048 bytes.
    const exact = `${'汉'.repeat(682)}ab`;
    assert.deepEqual(splitByUtf8Bytes(exact, 2048), [exact]);
    assert.equal(splitByUtf8Bytes(`${exact}c`, 2048).length, 2);
  });

  void it('counts UTF-8 bytes: 3 per Chinese character, 4 per emoji', () => {
    assert.deepEqual(splitByUtf8Bytes('汉字汉字', 6), ['汉字', '汉字']);
    assert.deepEqual(splitByUtf8Bytes('😀😀😀', 8), ['😀😀', '😀']);
    assert.deepEqual(splitByUtf8Bytes('a😀b😀', 5), ['a😀', 'b😀']);
  });

  void it('never splits a surrogate pair, and keeps emoji ZWJ sequences and combining marks whole', () => {
    const emoji = '😀'.repeat(100);
    for (const maxBytes of [4, 5, 6, 7, 9, 2048]) {
      const pieces = splitByUtf8Bytes(emoji, maxBytes);
      assertWithin(pieces, maxBytes);
      assert.equal(pieces.join(''), emoji);
      for (const piece of pieces) assert.ok(!hasLoneSurrogate(piece), `lone surrogate in ${JSON.stringify(piece)}`);
    }
    const family = '👨‍👩‍👧‍👦'; // 25 bytes
    const families = splitByUtf8Bytes(family.repeat(10), 60);
    assert.deepEqual(families, [family.repeat(2), family.repeat(2), family.repeat(2), family.repeat(2), family.repeat(2)]);
    const accented = 'e\u0301'.repeat(20); // 3 bytes per é
    assert.deepEqual(splitByUtf8Bytes(accented, 10), [...Array<string>(6).fill('e\u0301'.repeat(3)), 'e\u0301'.repeat(2)]);
    // A grapheme larger than the limit can only be cut between code points, still never inside a pair.
    const pieces = splitByUtf8Bytes(family, 8);
    assertWithin(pieces, 8);
    assert.equal(pieces.join(''), family);
    assert.ok(!pieces.some(hasLoneSurrogate));
  });

  void it('prefers a paragraph break, then a line break, then a sentence end, a clause mark, whitespace', () => {
    // Every boundary lies in the upper half of a 40-byte piece; the preferred one wins over a later one.
    assert.deepEqual(splitByUtf8Bytes('aaaaaaaaaaaaaaaaaaaaaaaaa\n\nbbbbb\nccccc. dd', 40), ['aaaaaaaaaaaaaaaaaaaaaaaaa', 'bbbbb\nccccc. dd']);
    assert.deepEqual(splitByUtf8Bytes('aaaaaaaaaaaaaaaaaaaaaaaaa\nbbbbb. ccccc, dddddd', 40), ['aaaaaaaaaaaaaaaaaaaaaaaaa', 'bbbbb. ccccc, dddddd']);
    assert.deepEqual(splitByUtf8Bytes('aaaaaaaaaaaaaaaaaaaaaaaaa. bbbbb, ccccc ddddddd', 40), ['aaaaaaaaaaaaaaaaaaaaaaaaa.', 'bbbbb, ccccc ddddddd']);
    assert.deepEqual(splitByUtf8Bytes('aaaaaaaaaaaaaaaaaaaaaaaaa, bbbbb ccccc dddddddd', 40), ['aaaaaaaaaaaaaaaaaaaaaaaaa,', 'bbbbb ccccc dddddddd']);
    assert.deepEqual(splitByUtf8Bytes('aaaaaaaaaaaaaaaaaaaaaaaaa bbbbb cccccdddddddddd', 40), ['aaaaaaaaaaaaaaaaaaaaaaaaa bbbbb', 'cccccdddddddddd']);
    assert.deepEqual(splitByUtf8Bytes('a'.repeat(50), 40), ['a'.repeat(40), 'a'.repeat(10)]);
  });

  void it('cuts after Chinese sentence ends and closing quotes without needing a space', () => {
    assert.deepEqual(splitByUtf8Bytes('他说：“今天天气很好。”我们出发吧！然后', 45), ['他说：“今天天气很好。”', '我们出发吧！然后']);
    assert.deepEqual(splitByUtf8Bytes('第一部分内容，第二部分内容、第三部分', 45), ['第一部分内容，第二部分内容、', '第三部分']);
  });

  void it('takes a preferred boundary only if the piece is at least half full', () => {
    // The paragraph break is at 4 of 40 bytes: a whitespace cut further on fills the piece better.
    assert.deepEqual(splitByUtf8Bytes('abc\n\ndefgh ijklmnopqrstuvwxyz0123456789 ABCDEFGH', 40), ['abc\n\ndefgh ijklmnopqrstuvwxyz0123456789', 'ABCDEFGH']);
  });

  void it('does not take a list number or a decimal point for a sentence end', () => {
    const pieces = splitByUtf8Bytes('Intro text goes here\n1. first item is long\n2. second', 30);
    assert.deepEqual(pieces, ['Intro text goes here', '1. first item is long', '2. second']);
    assert.deepEqual(splitByUtf8Bytes('pi is 3.14159265 roughly', 16), ['pi is 3.14159265', 'roughly']);
  });

  void it('keeps the indentation of the first line after a line-break cut (code stays readable)', () => {
    const code = 'def f():\n    return 1\n\n    # comment line\n    return 2';
    assert.deepEqual(splitByUtf8Bytes(code, 24), ['def f():\n    return 1', '    # comment line', '    return 2']);
  });

  void it('reserves bytes for a suffix the caller appends', () => {
    const text = chineseAnswer(3_000);
    const suffix = '\n…回复「继续」查看更多';
    const pieces = splitByUtf8Bytes(text, 2048, { reserveBytes: utf8ByteLength(suffix) });
    assert.ok(pieces.length > 1);
    for (const piece of pieces) assert.ok(utf8ByteLength(piece + suffix) <= 2048);
    assertPiecesCover(text, pieces);
  });

  void it('splits mixed English, Chinese and emoji within the limit, losing nothing', () => {
    const text = Array.from({ length: 300 }, (_, index) => `Item ${index}: 价格 ¥${index * 3} 🎉 ok. `).join('');
    for (const maxBytes of [50, 97, 512, 2048]) {
      const pieces = splitByUtf8Bytes(text, maxBytes);
      assertWithin(pieces, maxBytes);
      assertPiecesCover(text, pieces);
    }
  });

  void it('rejects limits that cannot hold one character', () => {
    assert.throws(() => splitByUtf8Bytes('x', 3), RangeError);
    assert.throws(() => splitByUtf8Bytes('x', 2048, { reserveBytes: 2045 }), RangeError);
    assert.throws(() => splitByUtf8Bytes('x', 20.5), RangeError);
  });
});

void describe('findUtf8Cut', () => {
  void it('reports where the first piece ends and where the rest starts', () => {
    assert.deepEqual(findUtf8Cut('fits', 10), { end: 4, next: 4 });
    const text = '第一句话。  第二句话';
    const cut = findUtf8Cut(text, 20);
    assert.equal(text.slice(0, cut.end), '第一句话。');
    assert.equal(text.slice(cut.next), '第二句话');
  });
});
