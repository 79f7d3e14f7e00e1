/**
 * Starting and stopping sandboxes in tests. `sandboxPerTest()` (call it at the top of a file or
 * a describe block) returns a starter; every sandbox it started is closed after each test.
 * `sandboxPerFile()` starts one sandbox before the file's tests, clears its request log and
 * faults before each test, and closes it at the end. `sandboxCloudConfig()` is the cloud
 * configuration of the real SDK clients pointed at a sandbox with its own access keys.
 */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { CloudConfig } from '../../src/cloud/clients.js';
import { accessKeyProvider } from '../../src/cloud/credentials.js';
import {
  demoWorld,
  SANDBOX_CREDENTIALS,
  startSandbox,
  type SandboxHandle,
  type SandboxOptions,
  type World,
} from '../../src/sandbox/index.js';

export type StartSandbox = (
  world?: World,
  opts?: Omit<SandboxOptions, 'world'>,
) => Promise<SandboxHandle>;

export function sandboxPerTest(): StartSandbox {
  let open: SandboxHandle[] = [];
  afterEach(async () => {
    const closing = open;
    open = [];
    await Promise.all(closing.map((h) => h.close()));
  });
  return async (world = demoWorld(), opts = {}) => {
    const h = await startSandbox({ ...opts, world });
    open.push(h);
    return h;
  };
}

/** SDK clients' configuration for a sandbox at `url`: its keys, project and region. */
export function sandboxCloudConfig(url: string, timeoutMs = 15_000): CloudConfig {
  return {
    credentials: accessKeyProvider({ ak: SANDBOX_CREDENTIALS.ak, sk: SANDBOX_CREDENTIALS.sk }),
    projectId: SANDBOX_CREDENTIALS.projectId,
    region: SANDBOX_CREDENTIALS.region,
    cceEndpoint: url,
    vpcEndpoint: url,
    timeoutMs,
    userAgent: 'cce-harden-test',
  };
}

export interface FileSandbox {
  /** The running sandbox; read it inside tests and hooks (it exists once `beforeAll` ran). */
  readonly h: SandboxHandle;
}

export function sandboxPerFile(opts: SandboxOptions | (() => SandboxOptions) = {}): FileSandbox {
  let handle: SandboxHandle | undefined;
  beforeAll(async () => {
    handle = await startSandbox(typeof opts === 'function' ? opts() : opts);
  });
  afterAll(() => handle?.close());
  beforeEach(() => {
    handle?.clearLog();
    handle?.faults.clear();
  });
  return {
    get h() {
      if (!handle) throw new Error('the sandbox is not started yet (use it inside a test)');
      return handle;
    },
  };
}

/** Ids of the `<cluster>-cce-eni-*` groups of a cluster in a sandbox world. */
export function eniGroupIds(world: World, cluster: string): string[] {
  return world.projects
    .flatMap((p) => p.securityGroups)
    .filter((g) => g.name.startsWith(`${cluster}-cce-eni-`))
    .map((g) => g.id);
}

/** The one ENI group of a cluster in a running sandbox. */
export function eniGroupId(h: SandboxHandle, cluster: string): string {
  const [id] = eniGroupIds(h.world, cluster);
  if (!id) throw new Error(`no ENI group for ${cluster}`);
  return id;
}
