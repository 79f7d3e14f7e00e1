/** Exit codes are part of the command-line contract: scripts and schedulers branch on them. */
export const ExitCode = {
  /** Compliant, nothing to do, or done. */
  ok: 0,
  /** The command could not do its job (cloud, auth, network, not found). */
  error: 1,
  /** Drift found (check) or changes pending (apply/remove --dry-run). */
  drift: 2,
  /** Usage error: a flag, variable or argument is missing or wrong. */
  usage: 64,
  /** Cancelled by the user (Ctrl+C, or declined at a prompt where that means abort). */
  cancelled: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
