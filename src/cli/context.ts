import type { OutputSettings } from './output.js';
import type { Io } from './io.js';
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
  io: Io;
  /** Environment merged with .env (and the sandbox's settings under --sandbox). */
  env: Record<string, string | undefined>;
  global: GlobalOptions;
  ui: Ui;
  output: OutputSettings;
  command: string;
}
