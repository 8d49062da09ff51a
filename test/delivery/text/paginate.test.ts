import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { paginate, pickupPageMarker, type PageMarker } from '../../../src/delivery/text/paginate.js';
import { utf8ByteLength } from '../../../src/delivery/text/split-by-bytes.js';
import { assertPiecesCover, chineseAnswer } from './text-fixtures.js';

/** The pages without their markers. */
function withoutMarkers(pages: readonly string[], marker: PageMarker): string[] {
  return pages.map((page, index) => {
    const suffix = marker(index + 1, pages.length);
    assert.ok(page.endsWith(suffix), `page ${index + 1} lacks its marker`);
    return page.slice(0, page.length - suffix.length);
  });
}

void describe('paginate', () => {
  void it('pages a long Chinese answer into pages of at most 2048 bytes, markers included, losing nothing', () => {
    const text = chineseAnswer(6_000);
    const marker = pickupPageMarker('继续');
    const pages = paginate(text, 2048, marker);
    assert.ok(pages.length >= 9);
    for (const page of pages) assert.ok(utf8ByteLength(page) <= 2048, `${utf8ByteLength(page)} bytes`);
    assert.ok(pages[0]!.endsWith(`\n\n（第1/${pages.length}页，回复「继续」查看下一页）`));
    assert.ok(pages.at(-1)!.endsWith(`\n\n（第${pages.length}/${pages.length}页）`));
    assertPiecesCover(text, withoutMarkers(pages, marker));
  });

  void it('returns a text that fits as one page without a marker, and nothing for blank text', () => {
    assert.deepEqual(paginate('短回答', 2048, pickupPageMarker('继续')), ['短回答']);
    assert.deepEqual(paginate('  \n', 2048, pickupPageMarker('继续')), []);
  });

  void it('reserves room for the longest marker once the page count gains a digit', () => {
    // Ten or more pages make the markers one byte longer than a first estimate with fewer pages would reserve.
    const marker: PageMarker = (pageNumber, pageCount) => ` [${pageNumber}/${pageCount}]`;
    const text = Array.from({ length: 200 }, (_, index) => `word${index}`).join(' ');
    for (const maxBytes of [60, 100, 150]) {
      const pages = paginate(text, maxBytes, marker);
      for (const page of pages) assert.ok(utf8ByteLength(page) <= maxBytes, `${utf8ByteLength(page)} > ${maxBytes}: ${page}`);
      assertPiecesCover(text, withoutMarkers(pages, marker));
    }
  });

  void it('allows a different marker on the last page, even an empty one', () => {
    const marker: PageMarker = (pageNumber, pageCount) => (pageNumber < pageCount ? '\n（回复「继续」查看下一页）' : '');
    const pages = paginate('甲乙丙丁。'.repeat(100), 200, marker);
    assert.ok(pages.length > 1);
    assert.ok(pages.slice(0, -1).every((page) => page.endsWith('\n（回复「继续」查看下一页）') && utf8ByteLength(page) <= 200));
    assert.ok(!pages.at(-1)!.includes('继续'));
  });

  void it('rejects a marker that leaves no room for text', () => {
    assert.throws(() => paginate('x'.repeat(100), 20, () => 'y'.repeat(17)), RangeError);
  });
});
