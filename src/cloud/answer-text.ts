/**
 * Large list answers are cut down as soon as their text is parsed, before the SDK and validation
 * see them: only fields are dropped, never an item, and a value of the wrong type is kept as it
 * is, so validation fails exactly as it would on the whole answer. Text that is not JSON is
 * returned as text (validation then reports it).
 */

/** The part of a plain object under the given keys; anything else is returned as it is. */
export function pickFields(value: unknown, keys: readonly string[]): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const from = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of keys) if (Object.prototype.hasOwnProperty.call(from, key)) out[key] = from[key];
  return out;
}

/** Reads an answer's text, passing each item of the list under `key` through `trim`. */
export function listTextReader(
  key: string,
  trim: (item: unknown) => unknown,
): (text: string) => unknown {
  return (text) => {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return text;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
    const items = (body as Record<string, unknown>)[key];
    if (!Array.isArray(items)) return body;
    for (let i = 0; i < items.length; i++) items[i] = trim(items[i]);
    return body;
  };
}
