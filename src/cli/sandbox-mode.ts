import { UsageError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import type { CommandContext } from './context.js';
import { withSandbox } from './config.js';

/** Environment that points cce-harden, or any SDK program, at a sandbox listening on `url`. */
function sandboxEnv(
  url: string,
  creds: { ak: string; sk: string; region: string },
  projects: { id: string; region: string }[],
): Record<string, string> {
  return {
    HUAWEICLOUD_SDK_AK: creds.ak,
    HUAWEICLOUD_SDK_SK: creds.sk,
    HUAWEICLOUD_SDK_PROJECT_ID:
      projects.length === 1
        ? (projects[0]?.id ?? '')
        : projects.map((p) => `${p.region}=${p.id}`).join(','),
    HUAWEICLOUD_SDK_REGION: creds.region,
    CCE_HARDEN_CCE_ENDPOINT: url,
    CCE_HARDEN_VPC_ENDPOINT: url,
    CCE_HARDEN_IAM_ENDPOINT: url,
  };
}

/**
 * --sandbox: runs the command against an in-process sandbox whose world is kept in a state file,
 * so `apply` then `check` behaves as in a real cloud. Real credentials and endpoints from the
 * environment are replaced, never sent anywhere.
 */
export async function runInSandbox(
  ctx: CommandContext,
  run: (ctx: CommandContext) => Promise<number>,
): Promise<number> {
  const sandbox = await import('../sandbox/index.js');
  const stateFile = ctx.config.env.sandboxState;
  return stateFileErrors(sandbox, () =>
    sandbox.withPersistentSandbox(stateFile, async (handle) => {
      const config = withSandbox(ctx.config, {
        url: handle.url,
        credentials: sandbox.SANDBOX_CREDENTIALS,
        projects: handle.world.projects,
      });
      ctx.ui.info(`(sandbox: ${stateFile})`);
      // Flags still pick the region; project ids come from the sandbox world.
      return run({ ...ctx, config, global: { ...ctx.global, projectId: undefined } });
    }),
  );
}

/** A state file that is not ours is a usage problem (the variable names the wrong file). */
async function stateFileErrors<T>(
  sandbox: typeof import('../sandbox/index.js'),
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof sandbox.SandboxStateError) {
      throw new UsageError(err.message, 'The file was not changed.');
    }
    throw err;
  }
}

/** `cce-harden sandbox`: the emulator in the foreground, or --reset of the --sandbox state. */
export async function runSandboxCommand(
  ctx: CommandContext,
  opts: { port?: number | undefined; reset: boolean },
): Promise<number> {
  const sandbox = await import('../sandbox/index.js');
  if (opts.reset) {
    const stateFile = ctx.config.env.sandboxState;
    await stateFileErrors(sandbox, () => sandbox.resetSandboxState(stateFile));
    ctx.ui.say(`Sandbox state reset to the demo world: ${stateFile}`);
    return ExitCode.ok;
  }
  const handle = await sandbox.startSandbox(opts.port !== undefined ? { port: opts.port } : {});
  const env = sandboxEnv(handle.url, sandbox.SANDBOX_CREDENTIALS, handle.world.projects);
  await ctx.out.text(
    Object.entries(env)
      .map(([k, v]) => `export ${k}=${v}`)
      .join('\n') + '\n',
  );
  // Keyless instead: an ID token file issued by the sandbox's identity provider (docs/keyless.md).
  const tokenFile = handle.federation.writeIdTokenFile();
  await ctx.out.text(
    '# Keyless instead (OIDC federation; the token is valid for an hour):\n' +
      '#   unset HUAWEICLOUD_SDK_AK HUAWEICLOUD_SDK_SK HUAWEICLOUD_SDK_PROJECT_ID\n' +
      `#   export HUAWEICLOUD_SDK_IDP_ID=${handle.federation.idpId} HUAWEICLOUD_SDK_ID_TOKEN_FILE=${tokenFile}\n` +
      `# Or as an ECS with an agency: unset those three and export CCE_HARDEN_METADATA_ENDPOINT=${handle.url}\n`,
  );
  ctx.ui.say(
    `Sandbox CCE + VPC v3 API listening on ${handle.url} with the demo world (in memory).\n` +
      'Paste the lines above into another shell (or eval them), then run e.g. `cce-harden check --cluster demo-turbo`.\n' +
      'The demo credentials only open this sandbox. Press Ctrl+C to stop.',
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await handle.close();
  ctx.ui.say('Sandbox stopped.');
  return ExitCode.ok;
}
