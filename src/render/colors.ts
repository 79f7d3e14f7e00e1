/**
 * Terminal styling for the human renderers, injected as a value so the renderers stay pure and
 * tests can see exactly where styling lands. Plain SGR codes; no dependency.
 */

export type Style = (s: string) => string;

export interface Colors {
  bold: Style;
  red: Style;
  green: Style;
  yellow: Style;
  dim: Style;
}

const identity: Style = (s) => s;

/** Every style is the identity: what `--no-color`, `NO_COLOR` and non-TTY output get. */
export const noColors: Colors = Object.freeze({
  bold: identity,
  red: identity,
  green: identity,
  yellow: identity,
  dim: identity,
});

function sgr(open: number, close: number): Style {
  // Each style closes only what it opened (22 = normal intensity, 39 = default colour), so
  // styles nest: bold(red(x)) keeps the bold after the red ends.
  return (s) => (s === '' ? s : `\u001b[${open}m${s}\u001b[${close}m`);
}

export function makeColors(enabled: boolean): Colors {
  if (!enabled) return noColors;
  return Object.freeze({
    bold: sgr(1, 22),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    dim: sgr(2, 22),
  });
}

// C0 and C1 controls, DEL, and the bidirectional overrides/isolates that can make a terminal show
// text in a different order than it is stored ("Trojan Source").
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Makes a string from the cloud (cluster names, error messages) safe to print on one terminal
 * line: control characters become visible escapes, so a hostile name can neither inject escape
 * sequences nor break the layout.
 */
export function printable(s: string): string {
  return s.replace(
    UNPRINTABLE,
    (ch) => NAMED[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
