import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where `--sandbox` keeps its world between runs: CCE_HARDEN_SANDBOX_STATE, else the XDG state
 * directory (the state survives like a real cloud's would, but is not config or cache).
 */
export function defaultSandboxStatePath(env: NodeJS.ProcessEnv): string {
  const explicit = env['CCE_HARDEN_SANDBOX_STATE'];
  if (explicit) return explicit;
  const xdg = env['XDG_STATE_HOME'];
  const base = xdg ? xdg : join(env['HOME'] || homedir(), '.local', 'state');
  return join(base, 'cce-harden', 'sandbox-state.json');
}
