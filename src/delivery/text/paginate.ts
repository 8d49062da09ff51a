import { splitByUtf8Bytes, utf8ByteLength } from './split-by-bytes.js';

/**
 * The marker appended to a page: `pageNumber` counts from 1, `pageCount` is the number of pages. It is appended
 * as is, so it carries its own separator (e.g. a leading newline). It may differ per page (e.g. '' or a shorter
 * text on the last page).
 */
export type PageMarker = (pageNumber: number, pageCount: number) => string;

/**
 * Splits `text` into pages of at most `maxBytes` UTF-8 bytes each, marker included (cut like `splitByUtf8Bytes`).
 * A text that fits one page is returned as that page alone, without a marker; otherwise every page ends with
 * `marker(pageNumber, pageCount)`. Room for the longest marker of the page count is reserved on every page.
 * Returns `[]` for an empty or blank text.
 */
export function paginate(text: string, maxBytes: number, marker: PageMarker): string[] {
  const single = splitByUtf8Bytes(text, maxBytes);
  if (single.length <= 1) return single;

  // The markers' length depends on the page count, and the page count on the room left by the markers: start
  // from the count without markers and grow the reservation until the markers of the resulting count fit in it.
  // The reservation grows on every round and is bounded by maxBytes, so this ends (in two or three rounds).
  let reserveBytes = 0;
  let pages = single;
  for (;;) {
    const needed = longestMarkerBytes(marker, pages.length);
    if (needed <= reserveBytes) return pages.map((page, index) => page + marker(index + 1, pages.length));
    reserveBytes = needed;
    if (reserveBytes > maxBytes - 4) throw new RangeError(`a page marker of ${reserveBytes} bytes leaves no room in ${maxBytes}-byte pages`);
    pages = splitByUtf8Bytes(text, maxBytes, { reserveBytes });
  }
}

/**
 * The usual marker for answers kept for pickup: `（第1/3页，回复「继续」查看下一页）` on every page but the
 * last, which gets `（第3/3页）`; each on its own line.
 */
export function pickupPageMarker(pickupKeyword: string): PageMarker {
  return (pageNumber, pageCount) =>
    pageNumber < pageCount ? `\n\n（第${pageNumber}/${pageCount}页，回复「${pickupKeyword}」查看下一页）` : `\n\n（第${pageNumber}/${pageCount}页）`;
}

function longestMarkerBytes(marker: PageMarker, pageCount: number): number {
  let longest = 0;
  for (let pageNumber = 1; pageNumber <= pageCount; pageNumber += 1) {
    longest = Math.max(longest, utf8ByteLength(marker(pageNumber, pageCount)));
  }
  return longest;
}
