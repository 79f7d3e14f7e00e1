/**
 * Lookup maps over the world's arrays, rebuilt lazily. The world must stay plain JSON (it is
 * persisted and tests may edit it directly), so indexes live beside it in a WeakMap keyed by the
 * array. A cached map is reused while the array's length is unchanged; routes that mutate an
 * array call `invalidate` so a delete followed by a create (same length) never serves stale data.
 */
interface Cached<T> {
  length: number;
  map: Map<string, T[]>;
}

const caches = new WeakMap<object, Map<string, Cached<unknown>>>();

export function indexBy<T>(arr: T[], name: string, key: (item: T) => string): Map<string, T[]> {
  let perArray = caches.get(arr);
  if (!perArray) {
    perArray = new Map();
    caches.set(arr, perArray);
  }
  const hit = perArray.get(name) as Cached<T> | undefined;
  if (hit && hit.length === arr.length) return hit.map;
  const map = new Map<string, T[]>();
  for (const item of arr) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  perArray.set(name, { length: arr.length, map });
  return map;
}

/** The first item whose key is `k` (ids are unique, so "the" item). */
export function lookup<T>(
  arr: T[],
  name: string,
  key: (item: T) => string,
  k: string,
): T | undefined {
  return indexBy(arr, name, key).get(k)?.[0];
}

export function invalidate(arr: object): void {
  caches.delete(arr);
}
