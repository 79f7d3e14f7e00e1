/**
 * The decoded query string. The VPC API takes most filters as repeated keys
 * (`name=a&name=b`, docs/cloud-api.md, "VPC: security groups and rules"), so every key maps to a list.
 */
export class Query {
  private readonly map = new Map<string, string[]>();

  constructor(pairs: readonly [string, string][]) {
    for (const [k, v] of pairs) {
      const list = this.map.get(k);
      if (list) list.push(v);
      else this.map.set(k, [v]);
    }
  }

  all(key: string): string[] {
    return this.map.get(key) ?? [];
  }

  /** The first value; the real API ignores extra values of single-valued keys. */
  one(key: string): string | undefined {
    return this.map.get(key)?.[0];
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  /** For the request log: single values as strings, repeated ones as arrays. */
  toRecord(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of this.map) out[k] = v.length === 1 ? (v[0] ?? '') : [...v];
    return out;
  }
}
