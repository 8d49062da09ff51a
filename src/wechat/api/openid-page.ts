/**
 * The paged openid lists WeChat returns — followers (`/cgi-bin/user/get`), users of a tag, the blacklist —
 * share one wire shape and one paging rule.
 */

export interface WireOpenIdPage {
  total?: number;
  count: number;
  data?: { openid?: string[] };
  next_openid?: string;
}

export interface OpenIdPage {
  /** Users in the whole list (for a tag's users, which WeChat does not count, the page's size). */
  total: number;
  openIds: string[];
  /** Where the next page starts; undefined once the list is exhausted. */
  nextOpenId: string | undefined;
}

/**
 * `next_openid` is the last openid of the page, and the call after the last page answers `count` 0 with an
 * empty `next_openid`; so the list ends at an empty page or an empty `next_openid`.
 */
export function openIdPageFromWire(page: WireOpenIdPage): OpenIdPage {
  const openIds = page.data?.openid ?? [];
  const next = page.next_openid;
  return {
    total: page.total ?? openIds.length,
    openIds,
    nextOpenId: openIds.length > 0 && next ? next : undefined,
  };
}

/** Every non-empty page of a list, from `fetchPage(undefined)` on. */
export async function* allPages(fetchPage: (next: string | undefined) => Promise<OpenIdPage>): AsyncGenerator<OpenIdPage> {
  let next: string | undefined;
  do {
    const page = await fetchPage(next);
    if (page.openIds.length > 0) yield page;
    next = page.nextOpenId;
  } while (next !== undefined);
}
