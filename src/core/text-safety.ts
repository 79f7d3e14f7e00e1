/**
 * Text from the cloud is data. Names, descriptions and error messages come from an API answer,
 * which may carry terminal control sequences (ESC [ ... to move the cursor or rewrite a line, OSC
 * ... to set the window title or a hyperlink) or a C1 control that some terminals act on. These
 * functions make such text inert before it reaches a terminal, a log line, a Prometheus label or a
 * file. Pure: no I/O.
 */

// ESC sequences first (so the bytes after ESC go with it): CSI `ESC [ params final`, OSC/DCS/PM/
// APC/SOS `ESC ] ... (BEL | ESC \)` and any other two-byte `ESC x`. The 8-bit forms (U+009B CSI,
// U+009D OSC, ...) are C1 controls and are removed below with the rest.
const ESC_SEQUENCE =
  // eslint-disable-next-line no-control-regex
  /\u001b(?:\[[0-?]*[ -/]*[@-~]?|[\]PX^_][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[ -/]*[0-~]?)/g;
// eslint-disable-next-line no-control-regex
const C1_STRING = /[\u0090\u0098\u009d\u009e\u009f][^\u0007\u009c]*(?:\u0007|\u009c)?/g;
// C0 and C1 controls, DEL, and the bidirectional overrides/isolates that make a terminal show
// text in another order than it is stored.
// eslint-disable-next-line no-control-regex
const CONTROLS_KEEP_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const CONTROLS_ALL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Removes control characters and whole escape sequences. Line feeds and tabs survive with
 * `keepLines` (multi-line messages); otherwise every line break becomes a space.
 */
export function stripControl(text: string, opts: { keepLines?: boolean } = {}): string {
  const noSequences = text.replace(ESC_SEQUENCE, '').replace(C1_STRING, '');
  if (opts.keepLines) return noSequences.replace(/\r\n?/g, '\n').replace(CONTROLS_KEEP_LINES, '');
  return noSequences.replace(/\r\n?|\n|\t/g, ' ').replace(CONTROLS_ALL, '');
}

/** Whether a string carries anything stripControl would remove (for tests and guards). */
export function hasControl(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(text);
}

/**
 * A deep copy of a plain JSON-like value with every string passed through stripControl (line
 * feeds kept: messages and hints may span lines). Renderers call it on the report they receive.
 */
export function sanitizeDeep<T>(value: T): T {
  return mapStrings(value, (s) => stripControl(s, { keepLines: true })) as T;
}

function mapStrings(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f));
  if (value !== null && typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = mapStrings(v, f);
    return out;
  }
  return value;
}

/** Shorter values are not redacted: they would blank out ordinary words. */
const MIN_SECRET_LENGTH = 6;
export const REDACTED = '<redacted>';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function base64(s: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(s)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * The forms a secret can take in a message: as is, URL-encoded (both hex cases), Base64 and
 * Base64url (with and without padding). A Base64 blob that merely contains the secret at another
 * byte offset is not recognised; the forms above are the ones an HTTP library or a server echo.
 */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>([secret]);
  const url = encodeURIComponent(secret);
  forms.add(url);
  forms.add(url.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()));
  forms.add(url.replace(/%20/g, '+'));
  const b64 = base64(secret);
  const b64NoPad = b64.replace(/=+$/, '');
  forms.add(b64);
  forms.add(b64NoPad);
  forms.add(b64NoPad.replace(/\+/g, '-').replace(/\//g, '_'));
  forms.add(encodeURIComponent(b64));
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

export interface Redactor {
  (text: string): string;
  /** Adds secrets learnt during the run (temporary credentials fetched from IAM or metadata). */
  add(...secrets: readonly (string | undefined)[]): void;
}

/**
 * Replaces every value of the given secrets (AK, SK, security token), in every form above, with
 * `<redacted>`. Matching is by value, not by pattern: an error body that echoes the token is
 * caught wherever the token sits.
 */
export function makeRedactor(secrets: readonly (string | undefined)[]): Redactor {
  const known = new Set<string>();
  let pattern: RegExp | undefined;
  const redact = ((text: string) => (pattern ? text.replace(pattern, REDACTED) : text)) as Redactor;
  redact.add = (...more) => {
    let changed = false;
    for (const s of more) {
      if (typeof s !== 'string' || s.length < MIN_SECRET_LENGTH || known.has(s)) continue;
      known.add(s);
      changed = true;
    }
    if (!changed) return;
    const forms = [...new Set([...known].flatMap(secretForms))]
      // Longest first, so a value that contains another is removed whole.
      .sort((a, b) => b.length - a.length);
    pattern = new RegExp(forms.map(escapeRegExp).join('|'), 'g');
  };
  redact.add(...secrets);
  return redact;
}
