/**
 * templates/cronjob-keyless.yaml: no Secret and no key anywhere, and the projected token is where
 * HUAWEICLOUD_SDK_ID_TOKEN_FILE says, with the identity provider's client id as its audience.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadAllYaml } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ENV_VARS } from '../../src/cli/config.js';
import { ROOT } from '../helpers/cli.js';

interface Env {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

const text = readFileSync(path.join(ROOT, 'templates/cronjob-keyless.yaml'), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- plain parsed YAML
const docs = loadAllYaml(text) as any[];
const cron = docs.find((d) => d.kind === 'CronJob');
const pod = cron.spec.jobTemplate.spec.template.spec;
const container = pod.containers[0];
const env = container.env as Env[];
const envValue = (name: string) => env.find((e) => e.name === name)?.value;

describe('the keyless CronJob template', () => {
  it('has no Secret and no access key', () => {
    expect(docs.map((d) => d.kind)).toEqual(['Namespace', 'ServiceAccount', 'CronJob']);
    const keyNames: string[] = [...ENV_VARS.ak, ...ENV_VARS.sk, ...ENV_VARS.securityToken];
    expect(env.filter((e) => keyNames.includes(e.name))).toEqual([]);
    expect(env.filter((e) => e.valueFrom !== undefined)).toEqual([]);
  });

  it('projects a token for IAM where HUAWEICLOUD_SDK_ID_TOKEN_FILE points, and none for the API server', () => {
    expect(pod.automountServiceAccountToken).toBe(false);
    const volume = pod.volumes.find((v: { projected?: unknown }) => v.projected);
    const source = volume.projected.sources[0].serviceAccountToken;
    expect(source.audience).toBe('{{client_id}}');
    expect(source.expirationSeconds).toBeGreaterThanOrEqual(600);
    const mount = container.volumeMounts.find((m: { name: string }) => m.name === volume.name);
    expect(mount.readOnly).toBe(true);
    expect(envValue(ENV_VARS.idTokenFile[0])).toBe(path.posix.join(mount.mountPath, source.path));
    expect(envValue(ENV_VARS.idpId[0])).toBe('{{idp_id}}');
    // Inside a pod the node's metadata service belongs to the node, never to this job.
    expect(envValue(ENV_VARS.metadata[0])).toBe('off');
    // The file is readable by the pod's group.
    expect(pod.securityContext.fsGroup).toBe(pod.securityContext.runAsGroup);
  });
});
