/**
 * Large list answers are read as their text arrives, item by item, and each item is cut down as
 * soon as it is parsed: a large account's ListClusters answer is several megabytes of cluster
 * objects, and neither its whole text nor all of its parsed objects are ever held at once
 * (docs/fleet.md, "Memory"). Only fields are dropped, never an item, and a value of the wrong type
 * is kept as it is, so validation fails exactly as it would on the whole answer.
 *
 * The reader accepts exactly the texts `JSON.parse` accepts and gives the same value, only
 * trimmed. Text that is not JSON (an HTML page, a cut-off answer) comes back as text, as axios
 * would leave it, so validation reports what came back: its first 8 KiB, more than the report
 * ever quotes of it.
 */

/** Reads one answer's text, piece by piece as it arrives, into the part that is kept of it. */
export interface AnswerReader {
  write(text: string): void;
  /** The kept value; the text's head if it is not JSON. */
  end(): unknown;
}

/** Makes a fresh reader for each answer (a call may be sent again). */
export type AnswerReading = () => AnswerReader;

/** The part of a plain object under the given keys; anything else is returned as it is. */
export function pickFields(value: unknown, keys: readonly string[]): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const from = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of keys) if (Object.prototype.hasOwnProperty.call(from, key)) out[key] = from[key];
  return out;
}

/** Reads a whole text with a reader (tests, and answers that arrive in one piece). */
export function readAll(reading: AnswerReading, text: string): unknown {
  const reader = reading();
  reader.write(text);
  return reader.end();
}

/**
 * Marks an answer whose list was checked item by item as it was read (`checkedListReading`):
 * every item of that list is a checked value or an UncheckedItem.
 */
export const CHECKED_LIST = Symbol('list checked as read');

/** An item that failed its check as it was read: kept as it was cut (and what its translation threw). */
export class UncheckedItem {
  constructor(
    readonly item: unknown,
    readonly thrown?: { error: unknown },
  ) {}
}

/** Checks one cut item and translates it; `ok: false` when it is not the documented shape. */
export type ItemCheck = (cut: unknown) => { ok: true; value: unknown } | { ok: false };

/**
 * The reading of a list answer that cuts (`cut`), checks and translates (`check`) each item of
 * the list under `key` as soon as it is parsed: only the translated items are kept, never their
 * wire form, and an item that fails is kept as an UncheckedItem for the report. The answer carries
 * CHECKED_LIST; what it means for the whole answer is decided when it is validated
 * (cce-wire.ts parseListAnswer), exactly as if the whole answer had been validated at once.
 */
export function checkedListReading(
  key: string,
  cut: (item: unknown) => unknown,
  check: ItemCheck,
): AnswerReading {
  const take = (item: unknown): unknown => {
    const kept = cut(item);
    try {
      const checked = check(kept);
      return checked.ok ? checked.value : new UncheckedItem(kept);
    } catch (error) {
      return new UncheckedItem(kept, { error });
    }
  };
  return () => new ListReader(key, take);
}

/** What a text that is not JSON is reported by. */
const HEAD_CHARS = 8 * 1024;

/**
 * `text` as a string of its own: a slice of a string shares it and keeps all of it alive (a
 * whole piece of the answer, for a few characters). Concatenated, then cut, it is copied out.
 */
function detached(text: string): string {
  return `${text}\n`.slice(0, text.length);
}

/** Thrown inside the reader when the text is not JSON; never leaves this module. */
class NotJson extends Error {}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** JSON's four whitespace characters, and nothing else (as JSON.parse). */
function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * Finds where one JSON value ends, by nesting depth alone, across pieces of text: whether the
 * value is well formed is left to JSON.parse of exactly that text. Positions are indexes into
 * the reader's buffer and move with it.
 */
class ValueScan {
  start = 0;
  private pos = 0;
  private depth = 0;
  private inString = false;
  private kind: 'string' | 'container' | 'scalar' = 'scalar';

  begin(text: string, at: number): void {
    const c = text.charCodeAt(at);
    this.start = at;
    this.depth = 0;
    this.inString = false;
    if (c === QUOTE) {
      this.kind = 'string';
      this.pos = at + 1;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      this.kind = 'container';
      this.pos = at;
    } else {
      this.kind = 'scalar';
      this.pos = at;
    }
  }

  /** The buffer lost its first `n` characters. */
  shift(n: number): void {
    this.start -= n;
    this.pos -= n;
  }

  /** Index just past the value, or -1 if the text so far does not finish it. */
  end(text: string): number {
    if (this.kind === 'string') return this.closeString(text);
    if (this.kind === 'scalar') {
      // A number, true, false or null: up to the next separator.
      let j = this.pos;
      for (; j < text.length; j++) {
        const d = text.charCodeAt(j);
        if (d === COMMA || d === CLOSE_OBJECT || d === CLOSE_ARRAY || isSpace(d)) return j;
      }
      this.pos = j;
      return -1;
    }
    // A container: depth by its brackets, strings skipped whole.
    let i = this.pos;
    if (this.inString) {
      if (this.closeString(text) < 0) return -1;
      this.inString = false;
      i = this.pos;
    }
    for (const n = text.length; i < n; i++) {
      const d = text.charCodeAt(i);
      if (d === QUOTE) {
        this.pos = i + 1;
        if (this.closeString(text) < 0) {
          this.inString = true;
          return -1;
        }
        i = this.pos - 1;
      } else if (d === OPEN_OBJECT || d === OPEN_ARRAY) this.depth++;
      else if ((d === CLOSE_OBJECT || d === CLOSE_ARRAY) && --this.depth === 0) {
        this.pos = i + 1;
        return this.pos;
      }
    }
    this.pos = i;
    return -1;
  }

  /** Past the quote that closes the string `pos` is in, or -1. */
  private closeString(text: string): number {
    for (;;) {
      const q = text.indexOf('"', this.pos);
      if (q < 0) {
        this.pos = text.length;
        return -1;
      }
      // The quote closes the string unless an odd number of backslashes precede it.
      let b = q - 1;
      while (text.charCodeAt(b) === BACKSLASH) b--;
      this.pos = q + 1;
      if ((q - 1 - b) % 2 === 0) return this.pos;
    }
  }
}

function parse(text: string, from: number, to: number): unknown {
  try {
    return JSON.parse(text.slice(from, to)) as unknown;
  } catch {
    throw new NotJson();
  }
}

/** As JSON.parse sets a member: an own, enumerable property, even for `__proto__`. */
function setMember(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}

type State =
  | 'start'
  | 'first-key'
  | 'key'
  | 'key-text'
  | 'colon'
  | 'value-start'
  | 'value'
  | 'after-member'
  | 'first-item'
  | 'item-start'
  | 'item'
  | 'after-item'
  | 'done'
  | 'whole'
  | 'not-json';

/**
 * A top-level object whose member `key`, if it is an array, is read element by element. Any other
 * top-level value (an array, a string) is small or not JSON: it is read whole.
 */
class ListReader implements AnswerReader {
  /** Text not consumed yet: at most the value being read and the latest piece. */
  private buf = '';
  private at = 0;
  private head = '';
  private state: State = 'start';
  private readonly scan = new ValueScan();
  private name = '';
  private readonly out: Record<string, unknown> = {};
  private items: unknown[] = [];
  /** The lists this reader built (a `key` may come twice; the last one counts, as in JSON.parse). */
  private readonly lists = new WeakSet<object>();
  /** Complete items not parsed yet: from the first one's start to the last one's end. */
  private batchStart = -1;
  private batchEnd = -1;
  private whole: string[] = [];

  constructor(
    private readonly key: string,
    private readonly trim: (item: unknown) => unknown,
  ) {}

  write(text: string): void {
    if (this.head.length < HEAD_CHARS) {
      this.head = detached(this.head + text.slice(0, HEAD_CHARS - this.head.length));
    }
    if (this.state === 'not-json') return;
    if (this.state === 'whole') {
      this.whole.push(text);
      return;
    }
    this.buf += text;
    this.step();
  }

  /**
   * Drops the text read: only the value being scanned (or nothing) is kept, as a copy of its
   * own, so the piece it came from is not held until the next one arrives (a string slice would
   * hold its whole parent).
   */
  private dropRead(): void {
    const scanning = this.state === 'key-text' || this.state === 'value' || this.state === 'item';
    const keep = scanning ? this.scan.start : this.at;
    if (keep === 0) return;
    this.buf = detached(this.buf.slice(keep));
    this.at -= keep;
    if (scanning) this.scan.shift(keep);
    if (this.batchStart >= 0) this.batchStart -= keep;
  }

  end(): unknown {
    const { state } = this;
    const head = this.head;
    const whole = this.whole.join('');
    const out = this.out;
    this.buf = '';
    this.whole = [];
    this.items = [];
    if (state === 'whole') {
      try {
        return JSON.parse(whole) as unknown;
      } catch {
        return head;
      }
    }
    // Anything but a closed object (and trailing whitespace) is not JSON: a cut-off answer too.
    if (state !== 'done') return head;
    const list = out[this.key];
    // Marked only when the list under `key` is one this reader built.
    if (Array.isArray(list) && this.lists.has(list)) {
      Object.defineProperty(out, CHECKED_LIST, { value: true, enumerable: false });
    }
    return out;
  }

  private step(): void {
    try {
      this.run();
      // The text before `at` is dropped now: its complete items go first.
      this.flushItems();
      this.dropRead();
    } catch (err) {
      if (!(err instanceof NotJson)) throw err;
      this.state = 'not-json';
      this.buf = '';
      this.items = [];
    }
  }

  /**
   * Parses the complete items found since the last flush in one JSON.parse (they are separated
   * by commas already), then trims each: one call per piece of text, not one per item.
   */
  private flushItems(): void {
    if (this.batchStart < 0 || this.batchEnd < 0) return;
    const batch = parse(`[${this.buf.slice(this.batchStart, this.batchEnd)}]`, 0, Infinity);
    // An item begun and not finished yet starts the next batch.
    this.batchStart = this.state === 'item' ? this.scan.start : -1;
    this.batchEnd = -1;
    for (const item of batch as unknown[]) this.items.push(this.trim(item));
  }

  private setList(): void {
    this.lists.add(this.items);
    setMember(this.out, this.name, this.items);
  }

  /** Skips whitespace; false when the text so far ends first. */
  private skipSpace(): boolean {
    const { buf } = this;
    while (this.at < buf.length && isSpace(buf.charCodeAt(this.at))) this.at++;
    return this.at < buf.length;
  }

  /** Scans the value at `at`; false when the text so far does not finish it. */
  private scanned(): boolean {
    const end = this.scan.end(this.buf);
    if (end < 0) return false;
    this.at = end;
    return true;
  }

  private run(): void {
    const buf = this.buf;
    for (;;) {
      switch (this.state) {
        case 'start':
          if (!this.skipSpace()) return;
          if (buf.charCodeAt(this.at) !== OPEN_OBJECT) {
            this.state = 'whole';
            this.whole.push(buf.slice(this.at));
            this.buf = '';
            return;
          }
          this.at++;
          this.state = 'first-key';
          break;
        case 'first-key':
          if (!this.skipSpace()) return;
          if (buf.charCodeAt(this.at) === CLOSE_OBJECT) {
            this.at++;
            this.state = 'done';
          } else this.state = 'key';
          break;
        case 'key':
          if (!this.skipSpace()) return;
          if (buf.charCodeAt(this.at) !== QUOTE) throw new NotJson();
          this.scan.begin(buf, this.at);
          this.state = 'key-text';
          break;
        case 'key-text':
          if (!this.scanned()) return;
          this.name = parse(buf, this.scan.start, this.at) as string;
          this.state = 'colon';
          break;
        case 'colon':
          if (!this.skipSpace()) return;
          if (buf.charCodeAt(this.at) !== COLON) throw new NotJson();
          this.at++;
          this.state = 'value-start';
          break;
        case 'value-start':
          if (!this.skipSpace()) return;
          if (this.name === this.key && buf.charCodeAt(this.at) === OPEN_ARRAY) {
            this.at++;
            this.items = [];
            this.state = 'first-item';
          } else {
            this.scan.begin(buf, this.at);
            this.state = 'value';
          }
          break;
        case 'value':
          if (!this.scanned()) return;
          setMember(this.out, this.name, parse(buf, this.scan.start, this.at));
          this.state = 'after-member';
          break;
        case 'after-member': {
          if (!this.skipSpace()) return;
          const c = buf.charCodeAt(this.at++);
          if (c === COMMA) this.state = 'key';
          else if (c === CLOSE_OBJECT) this.state = 'done';
          else throw new NotJson();
          break;
        }
        case 'first-item':
          if (!this.skipSpace()) return;
          if (buf.charCodeAt(this.at) === CLOSE_ARRAY) {
            this.at++;
            this.setList();
            this.state = 'after-member';
          } else this.state = 'item-start';
          break;
        case 'item-start':
          if (!this.skipSpace()) return;
          this.scan.begin(buf, this.at);
          if (this.batchStart < 0) this.batchStart = this.at;
          this.state = 'item';
          break;
        case 'item':
          if (!this.scanned()) return;
          // An empty item (`[1,]`) would vanish from the batch's text: it is not JSON.
          if (this.at === this.scan.start) throw new NotJson();
          this.batchEnd = this.at;
          this.state = 'after-item';
          break;
        case 'after-item': {
          if (!this.skipSpace()) return;
          const c = buf.charCodeAt(this.at++);
          if (c === COMMA) this.state = 'item-start';
          else if (c === CLOSE_ARRAY) {
            this.flushItems();
            this.setList();
            this.state = 'after-member';
          } else throw new NotJson();
          break;
        }
        case 'done':
          // Only whitespace may follow the document.
          if (this.skipSpace()) throw new NotJson();
          return;
        case 'whole':
        case 'not-json':
          return;
      }
    }
  }
}
