import { vpcFail } from './http/api-failure.js';
import type { PagingQuirks } from './faults.js';
import type { Query } from './http/query.js';

export const MAX_PAGE_SIZE = 2000;

export interface PageInfo {
  previous_marker?: string;
  current_count: number;
  next_marker?: string;
}

/**
 * VPC v3 marker pagination (docs/cloud-api.md, "Pagination"): `marker` is the id of the last item
 * of the previous page, `limit` 0-2000 (0 or absent = 2000). `next_marker` is only present when
 * more items follow. `quirks` (fault injection only) make the server misbehave.
 */
export function paginate<T extends { id: string }>(
  items: readonly T[],
  query: Query,
  quirks: PagingQuirks = {},
): { page: T[]; page_info: PageInfo } {
  const rawLimit = query.one('limit');
  let limit = MAX_PAGE_SIZE;
  if (rawLimit !== undefined) {
    const n = Number(rawLimit);
    if (!/^\d+$/.test(rawLimit) || n > MAX_PAGE_SIZE) {
      throw vpcFail(
        400,
        'VPC.0002',
        `Invalid limit ${rawLimit}: must be an integer from 0 to ${MAX_PAGE_SIZE}.`,
      );
    }
    if (n > 0) limit = n;
  }
  if (quirks.pageSize !== undefined) limit = Math.max(1, Math.min(limit, quirks.pageSize));
  let start = 0;
  const marker = query.one('marker');
  if (marker !== undefined && marker !== '') {
    const at = items.findIndex((x) => x.id === marker);
    if (at < 0) throw vpcFail(400, 'VPC.0002', `Invalid marker ${marker}.`);
    // repeatAcrossPages: the page starts with the marker item itself, already sent last time.
    start = quirks.repeatAcrossPages ? at : at + 1;
  }
  const page = items.slice(start, start + limit);
  const info: PageInfo = { current_count: page.length };
  const first = page[0];
  const last = page[page.length - 1];
  if (first) info.previous_marker = first.id;
  if (last && start + limit < items.length) info.next_marker = last.id;
  if (quirks.markerCycle) {
    const a = items[0]?.id;
    const b = items[1]?.id ?? a;
    if (a !== undefined && b !== undefined) info.next_marker = marker === a ? b : a;
  }
  return { page, page_info: info };
}
