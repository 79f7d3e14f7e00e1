/**
 * A command in one place: its flags, how their values become the handler's typed options, and the
 * handler. `defineCommand` keeps the three together (as wrangler's createCommand and citty's
 * defineCommand do); cli/program.ts turns the definitions into the commander program, and
 * cli/config.ts validates the flag values with the environment, every problem at once.
 *
 * Definitions are loaded for every run: a command file imports its heavy modules (the pipeline,
 * the SDK adapters, the sandbox) inside its handler, so `--help` and offline commands stay fast.
 */
import { InvalidArgumentError, Option } from 'commander';
import type { EnvSettings } from './config.js';
import type { CommandContext, GlobalOptions } from './context.js';

/** One flag: how commander declares it, and how its parsed value becomes a typed one. */
export interface FlagSpec<T> {
  /** commander's flags string, e.g. `--cluster <name|id>` or `-y, --yes`. */
  readonly flags: string;
  readonly description: string;
  /** The commander option (help text, choices, argument parser, default). */
  option(): Option;
  /** The value commander left (undefined when the flag was not given and has no default). */
  read(raw: unknown): T;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec<unknown>>>;

/** The typed values of a set of flags, keyed like the set. */
export type FlagValues<F extends FlagSpecs> = {
  readonly [K in keyof F]: F[K] extends FlagSpec<infer T> ? T : never;
};

interface FlagOptions {
  /** Left out of --help (still accepted). */
  hidden?: boolean;
}

function spec<T>(
  flags: string,
  description: string,
  build: (o: Option) => Option,
  read: (raw: unknown) => T,
  opts: FlagOptions = {},
): FlagSpec<T> {
  return {
    flags,
    description,
    option: () => {
      const o = build(new Option(flags, description));
      return opts.hidden ? o.hideHelp() : o;
    },
    read,
  };
}

const asString = (raw: unknown): string | undefined => (typeof raw === 'string' ? raw : undefined);

/** Flag builders; the value type follows from the builder and its default. */
export const flag = {
  /** `--dry-run`, `-y, --yes`, `--no-color` (true unless given). */
  boolean(flags: string, description: string, opts?: FlagOptions): FlagSpec<boolean> {
    const negated = /(^|\s)--no-/.test(flags);
    return spec(
      flags,
      description,
      (o) => o,
      (raw) => (negated ? raw !== false : raw === true),
      opts,
    );
  },

  /** A value; undefined when not given. */
  string(flags: string, description: string, opts?: FlagOptions): FlagSpec<string | undefined> {
    return spec(flags, description, (o) => o, asString, opts);
  },

  /** A value with a default (shown in --help). */
  stringOr(
    flags: string,
    description: string,
    fallback: string,
    opts?: FlagOptions,
  ): FlagSpec<string> {
    return spec(
      flags,
      description,
      (o) => o.default(fallback),
      (raw) => asString(raw) ?? fallback,
      opts,
    );
  },

  /** A repeatable value: `--cluster a --cluster b`; [] when not given. */
  list(flags: string, description: string, opts?: FlagOptions): FlagSpec<string[]> {
    return spec(
      flags,
      description,
      (o) =>
        o.argParser((value: string, previous: string[] | undefined) => [
          ...(previous ?? []),
          value,
        ]),
      (raw) => (Array.isArray(raw) ? raw.map(String) : []),
      opts,
    );
  },

  /** One of `choices` (commander rejects anything else); undefined when not given. */
  choice<const C extends readonly string[]>(
    flags: string,
    description: string,
    choices: C,
    opts?: FlagOptions,
  ): FlagSpec<C[number] | undefined> {
    return spec(
      flags,
      description,
      (o) => o.choices([...choices]),
      (raw) => (choices.includes(raw as string) ? (raw as C[number]) : undefined),
      opts,
    );
  },

  /** One of `choices` with a default (shown in --help). */
  choiceOr<const C extends readonly string[]>(
    flags: string,
    description: string,
    choices: C,
    fallback: C[number],
    opts?: FlagOptions,
  ): FlagSpec<C[number]> {
    return spec(
      flags,
      description,
      (o) => o.choices([...choices]).default(fallback),
      (raw) => (choices.includes(raw as string) ? (raw as C[number]) : fallback),
      opts,
    );
  },

  /** A whole number checked by `parse` while commander reads the command line. */
  number(
    flags: string,
    description: string,
    parse: (value: string) => number,
    opts?: FlagOptions,
  ): FlagSpec<number | undefined> {
    return spec(
      flags,
      description,
      (o) => o.argParser(parse),
      (raw) => (typeof raw === 'number' ? raw : undefined),
      opts,
    );
  },

  /** A whole number with a default (shown in --help). */
  numberOr(
    flags: string,
    description: string,
    parse: (value: string) => number,
    fallback: number,
    opts?: FlagOptions,
  ): FlagSpec<number> {
    return spec(
      flags,
      description,
      (o) => o.argParser(parse).default(fallback),
      (raw) => (typeof raw === 'number' ? raw : fallback),
      opts,
    );
  },
};

/** Argument parsers for flag.number / flag.numberOr (commander reports the message, exit 64). */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('expected a port 0-65535');
  return n;
}

/** What a definition's `options` sees besides its own flags. */
export interface OptionScope {
  global: Readonly<GlobalOptions>;
  env: EnvSettings;
}

export interface CommandSpec<F extends FlagSpecs, O> {
  name: string;
  description: string;
  flags: F;
  /** Text after the flags in --help (steps, formats, examples). */
  help?: string;
  /** The hint under a usage error of this command's flags. */
  usageHint?: string;
  /**
   * The typed flag values (and the global flags and environment) as the handler's options.
   * Problems are pushed, not thrown: config.ts reports them with every other one (exit 64).
   */
  options(values: FlagValues<F>, scope: OptionScope, problems: string[]): O;
  /** The handler: returns the exit code. */
  run(ctx: CommandContext, options: O): Promise<number>;
}

/** A command with its options settled, ready to run. */
export interface BoundCommand {
  readonly name: string;
  readonly options: unknown;
  run(ctx: CommandContext): Promise<number>;
}

export interface CommandDefinition {
  readonly name: string;
  readonly description: string;
  readonly flags: FlagSpecs;
  readonly help?: string | undefined;
  readonly usageHint?: string | undefined;
  /** Reads commander's values for these flags and binds the handler to the typed options. */
  bind(
    raw: Readonly<Record<string, unknown>>,
    scope: OptionScope,
    problems: string[],
  ): BoundCommand;
}

/** Declares a command: flags, typed options, handler. */
export function defineCommand<F extends FlagSpecs, O>(spec: CommandSpec<F, O>): CommandDefinition {
  return {
    name: spec.name,
    description: spec.description,
    flags: spec.flags,
    help: spec.help,
    usageHint: spec.usageHint,
    bind(raw, scope, problems) {
      const options = spec.options(readFlags(spec.flags, raw), scope, problems);
      return {
        name: spec.name,
        options,
        run: (ctx) => spec.run(ctx, options),
      };
    },
  };
}

/** commander keeps a value under the option's attribute name (`--dry-run` -> dryRun). */
export function readFlags<F extends FlagSpecs>(
  flags: F,
  raw: Readonly<Record<string, unknown>>,
): FlagValues<F> {
  const values: Record<string, unknown> = {};
  for (const [key, f] of Object.entries(flags)) values[key] = f.read(raw[attributeOf(f)]);
  return values as FlagValues<F>;
}

export function attributeOf(f: FlagSpec<unknown>): string {
  return f.option().attributeName();
}
