import type { Config } from './config.js';
import type { OutputSettings, ResultSink } from './output.js';
import type { Ui } from './ui.js';

/** Options every command accepts (the contract's global flags). */
export interface GlobalOptions {
  region?: string;
  projectId?: string;
  securityGroup?: string;
  output: string;
  json?: boolean;
  sandbox?: boolean;
  debug?: boolean;
  color: boolean;
  quiet?: boolean;
  out?: string;
  force?: boolean;
  concurrency?: number;
}

/** What a command handler receives; handlers never read globals. */
export interface CommandContext {
  /** The working directory (relative paths the wizard asks for are resolved against it). */
  cwd: string;
  /** Flags and environment (merged with .env), validated once; the sandbox's under --sandbox. */
  config: Config;
  /** The global flags, settled (`config.global`, or a narrower scope the wizard picked). */
  global: GlobalOptions;
  /** The message sink: messages, progress, prompts (stderr). */
  ui: Ui;
  /** The result sink: the report, a rendered script (stdout or --out). */
  out: ResultSink;
  output: OutputSettings;
  command: string;
}
