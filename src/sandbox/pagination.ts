import { vpcFail } from './http/api-failure.js';
import type { Query } from './http/query.js';

export const MAX_PAGE_SIZE = 2000;

export interface PageInfo {
  previous_marker?: string;
  current_count: number;
  next_marker?: string;
}

/**
 * VPC v3 marker pagination (reference §4.2): `marker` is the id of the last item of the previous
 * page, `limit` 0-2000 (0 or absent = 2000). `next_marker` is only present when more items follow.
 */
export function paginate<T extends { id: string }>(
  items: readonly T[],
  query: Query,
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
  let start = 0;
  const marker = query.one('marker');
  if (marker !== undefined && marker !== '') {
    const at = items.findIndex((x) => x.id === marker);
    if (at < 0) throw vpcFail(400, 'VPC.0002', `Invalid marker ${marker}.`);
    start = at + 1;
  }
  const page = items.slice(start, start + limit);
  const info: PageInfo = { current_count: page.length };
  const first = page[0];
  const last = page[page.length - 1];
  if (first) info.previous_marker = first.id;
  if (last && start + limit < items.length) info.next_marker = last.id;
  return { page, page_info: info };
}
