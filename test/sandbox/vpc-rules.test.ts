import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  BatchCreateSecurityGroupRulesRequest,
  BatchCreateSecurityGroupRulesRequestBody,
  CreateSecurityGroupRuleOption,
  CreateSecurityGroupRuleRequest,
  CreateSecurityGroupRuleRequestBody,
  DeleteSecurityGroupRuleRequest,
  ListSecurityGroupRulesRequest,
  ShowSecurityGroupRuleRequest,
  type BatchCreateSecurityGroupRulesOption,
} from '@huaweicloud/huaweicloud-sdk-vpc/v3/public-api.js';
import {
  WorldBuilder,
  rulesOfGroup,
  startSandbox,
  type SandboxHandle,
  type WireSecurityGroupRule,
  type World,
} from '../../src/sandbox/index.js';
import { sdkError, vpcClient, wire } from './sdk.js';

let h: SandboxHandle;
let vpc: ReturnType<typeof vpcClient>;
let builder: WorldBuilder;

function world(): World {
  builder = new WorldBuilder({ seed: 'rules' })
    .turboCluster({ name: 'prod', apiServerIp: '192.168.0.61', hardened: true })
    .turboCluster({ name: 'stage', apiServerIp: '192.168.0.62' })
    .securityGroup({ name: 'tiny' })
    .ruleQuota(2, 'tiny')
    .rule({
      securityGroup: 'tiny',
      direction: 'ingress',
      protocol: 'tcp',
      multiport: '22',
      priority: 10,
    })
    .rule({
      securityGroup: 'tiny',
      direction: 'egress',
      ethertype: 'IPv6',
      enabled: false,
      description: 'v6 off',
    });
  return builder.build();
}

const eniOf = (cluster: string) =>
  h.world.projects[0]?.securityGroups.find((g) =>
    new RegExp(`^${cluster}-cce-eni-[a-z0-9]+$`).test(g.name),
  )?.id ?? '';

beforeAll(async () => {
  h = await startSandbox({ world: world() });
  vpc = vpcClient(h.url);
});
afterAll(() => h.close());
beforeEach(() => {
  h.world = world();
  h.clearLog();
});

async function listRules(req: ListSecurityGroupRulesRequest): Promise<WireSecurityGroupRule[]> {
  return wire<{ security_group_rules: WireSecurityGroupRule[] }>(
    await vpc.listSecurityGroupRules(req),
  ).security_group_rules;
}

function createRequest(rule: Record<string, unknown>, dryRun?: boolean) {
  const body = new CreateSecurityGroupRuleRequestBody().withSecurityGroupRule(
    rule as unknown as CreateSecurityGroupRuleOption,
  );
  if (dryRun !== undefined) body.withDryRun(dryRun);
  return new CreateSecurityGroupRuleRequest().withBody(body);
}

function denyRule(groupId: string, overrides: Record<string, unknown> = {}) {
  return {
    security_group_id: groupId,
    direction: 'egress',
    ethertype: 'IPv4',
    protocol: 'tcp',
    multiport: '5443',
    remote_ip_prefix: '192.168.0.62',
    action: 'deny',
    priority: '1',
    description: 'cce-harden: deny pods to kube-apiserver',
    ...overrides,
  };
}

describe('ListSecurityGroupRules filters', () => {
  it('filters by several groups at once (repeated security_group_id)', async () => {
    const ids = [eniOf('prod'), eniOf('stage')];
    const rules = await listRules(new ListSecurityGroupRulesRequest().withSecurityGroupId(ids));
    expect(new Set(rules.map((r) => r.security_group_id))).toEqual(new Set(ids));
    expect(rules).toHaveLength(3 + 1 + 3);
  });

  it('finds the deny rule by direction, action, priority and a bare-IP prefix', async () => {
    const rules = await listRules(
      new ListSecurityGroupRulesRequest()
        .withSecurityGroupId([eniOf('prod')])
        .withDirection('egress')
        .withAction('deny')
        .withPriority([1, 10, 9])
        .withProtocol(['tcp'])
        .withRemoteIpPrefix('192.168.0.61'),
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({
      remote_ip_prefix: '192.168.0.61/32',
      priority: 1,
      multiport: '5443',
    });
    // Repeated values went out sorted as strings, as the SDK's signer sorts them.
    expect(h.log.at(-1)?.query['priority']).toEqual(['1', '10', '9']);
  });

  it('serves the deciding rules project-wide: direction, action and priority without any group', async () => {
    const w = new WorldBuilder({ seed: 'fleet' })
      .turboClusters(30, { hardened: true, eniAllowRule: true })
      .build();
    const fleet = await startSandbox({ world: w });
    try {
      const rules = wire<{ security_group_rules: WireSecurityGroupRule[] }>(
        await vpcClient(fleet.url).listSecurityGroupRules(
          new ListSecurityGroupRulesRequest()
            .withDirection('egress')
            .withAction('deny')
            .withPriority([1]),
        ),
      ).security_group_rules;
      expect(rules).toHaveLength(30);
      expect(rules.every((r) => r.action === 'deny' && r.direction === 'egress')).toBe(true);
      // Each ENI group also holds an ordinary priority-1 allow rule, which the filter leaves out.
      const allAtOne = w.projects[0]?.securityGroupRules.filter((r) => r.priority === 1) ?? [];
      expect(allAtOne).toHaveLength(60);
    } finally {
      await fleet.close();
    }
  });

  it('filters by ethertype (any case), enabled, description and remote_group_id', async () => {
    const tiny = builder.groupId('tiny');
    expect(
      (await listRules(new ListSecurityGroupRulesRequest().withEthertype(['ipv6']))).map(
        (r) => r.description,
      ),
    ).toEqual(['v6 off']);
    expect(
      (await listRules(new ListSecurityGroupRulesRequest().withEnabled(false))).map(
        (r) => r.security_group_id,
      ),
    ).toEqual([tiny]);
    expect(
      await listRules(new ListSecurityGroupRulesRequest().withDescription(['v6 off'])),
    ).toHaveLength(1);
    const selfRefs = await listRules(
      new ListSecurityGroupRulesRequest().withRemoteGroupId([eniOf('stage')]),
    );
    expect(selfRefs.map((r) => r.security_group_id)).toEqual([eniOf('stage')]);
  });

  it('serves project-wide direction + priority (+ action) filters, page by page', async () => {
    // Eight groups with a deny and an ordinary priority-1 allow each, and CCE's defaults.
    h.world = new WorldBuilder({ seed: 'project-wide' })
      .turboClusters(8, { hardened: true, eniAllowRule: true })
      .turboCluster({ name: 'open', eniAllowRule: true })
      .build();
    const pages: WireSecurityGroupRule[][] = [];
    let marker: string | undefined;
    do {
      const req = new ListSecurityGroupRulesRequest()
        .withDirection('egress')
        .withPriority([1])
        .withLimit(4);
      if (marker) req.withMarker(marker);
      const res = wire<{
        security_group_rules: WireSecurityGroupRule[];
        page_info: { next_marker?: string };
      }>(await vpc.listSecurityGroupRules(req));
      pages.push(res.security_group_rules);
      marker = res.page_info.next_marker;
    } while (marker);
    const rules = pages.flat();
    expect(pages.map((p) => p.length)).toEqual([4, 4, 4, 4, 1]);
    expect(rules.every((r) => r.direction === 'egress' && r.priority === 1)).toBe(true);
    expect(rules.filter((r) => r.action === 'deny')).toHaveLength(8);
    expect(rules.filter((r) => r.action === 'allow' && r.multiport === '443')).toHaveLength(9);
    expect(new Set(rules.map((r) => r.id)).size).toBe(17);
    const denies = await listRules(
      new ListSecurityGroupRulesRequest()
        .withDirection('egress')
        .withAction('deny')
        .withPriority([1]),
    );
    expect(denies.map((r) => r.id).sort()).toEqual(
      rules
        .filter((r) => r.action === 'deny')
        .map((r) => r.id)
        .sort(),
    );
  });

  it('pages rules without losing or repeating any', async () => {
    const all = await listRules(new ListSecurityGroupRulesRequest());
    const seen: string[] = [];
    let marker: string | undefined;
    do {
      const req = new ListSecurityGroupRulesRequest().withLimit(5);
      if (marker) req.withMarker(marker);
      const res = wire<{
        security_group_rules: WireSecurityGroupRule[];
        page_info: { next_marker?: string };
      }>(await vpc.listSecurityGroupRules(req));
      seen.push(...res.security_group_rules.map((r) => r.id));
      marker = res.page_info.next_marker;
    } while (marker);
    expect(seen).toEqual(all.map((r) => r.id));
  });
});

describe('CreateSecurityGroupRule', () => {
  it('creates with 201, normalising bare IP, string priority and numeric multiport', async () => {
    const res = wire<{
      httpStatusCode: number;
      security_group_rule: WireSecurityGroupRule;
      request_id: string;
    }>(
      await vpc.createSecurityGroupRule(
        createRequest(denyRule(eniOf('stage'), { multiport: 5443 })),
      ),
    );
    expect(res.httpStatusCode).toBe(201);
    expect(res.security_group_rule).toMatchObject({
      security_group_id: eniOf('stage'),
      remote_ip_prefix: '192.168.0.62/32',
      priority: 1,
      multiport: '5443',
      action: 'deny',
      enabled: true,
      remote_group_id: null,
    });
    expect(res.request_id).toBe(h.log.at(-1)?.requestId);
    expect(rulesOfGroup(h.world, eniOf('stage')).map((r) => r.id)).toContain(
      res.security_group_rule.id,
    );
  });

  it('applies the documented defaults: allow, IPv4, priority 1, enabled', async () => {
    const res = wire<{ security_group_rule: WireSecurityGroupRule }>(
      await vpc.createSecurityGroupRule(
        createRequest({ security_group_id: eniOf('stage'), direction: 'ingress' }),
      ),
    );
    expect(res.security_group_rule).toMatchObject({
      action: 'allow',
      ethertype: 'IPv4',
      priority: 1,
      enabled: true,
      protocol: null,
      multiport: null,
      remote_ip_prefix: null,
    });
  });

  it('answers a duplicate with 409 VPC.9902 naming the existing rule, whatever the description', async () => {
    const existing = rulesOfGroup(h.world, eniOf('prod')).find((r) => r.action === 'deny');
    const err = await sdkError(
      vpc.createSecurityGroupRule(
        createRequest(
          denyRule(eniOf('prod'), {
            remote_ip_prefix: '192.168.0.61/32',
            priority: 1,
            description: 'other',
          }),
        ),
      ),
    );
    expect(err.httpStatusCode).toBe(409);
    expect(err.errorCode).toBe('VPC.9902');
    expect(err.errorMsg).toBe(`Security group rule already exists. Rule id is ${existing?.id}.`);
    expect(err.requestId).toBe(h.log.at(-1)?.requestId);
  });

  it('treats another priority or action as a different rule', async () => {
    const g = eniOf('prod');
    const before = rulesOfGroup(h.world, g).length;
    await vpc.createSecurityGroupRule(
      createRequest(denyRule(g, { remote_ip_prefix: '192.168.0.61', priority: 2 })),
    );
    await vpc.createSecurityGroupRule(
      createRequest(denyRule(g, { remote_ip_prefix: '192.168.0.61', action: 'allow' })),
    );
    expect(rulesOfGroup(h.world, g).length).toBe(before + 2);
  });

  it('validates only on dry_run: 202 SYS.0202 and nothing written', async () => {
    const before = rulesOfGroup(h.world, eniOf('stage')).length;
    const res = wire<{ httpStatusCode: number; error_code: string }>(
      await vpc.createSecurityGroupRule(createRequest(denyRule(eniOf('stage')), true)),
    );
    expect(res.httpStatusCode).toBe(202);
    expect(res.error_code).toBe('SYS.0202');
    expect(rulesOfGroup(h.world, eniOf('stage')).length).toBe(before);
    expect(h.log.at(-1)?.body).toMatchObject({ dry_run: true });
  });

  it('still refuses a bad rule on dry_run', async () => {
    const err = await sdkError(
      vpc.createSecurityGroupRule(createRequest(denyRule(eniOf('stage'), { priority: 0 }), true)),
    );
    expect(err.httpStatusCode).toBe(400);
  });

  it('answers 409 VPC.9905 when the group is full', async () => {
    const err = await sdkError(
      vpc.createSecurityGroupRule(
        createRequest({
          security_group_id: builder.groupId('tiny'),
          direction: 'ingress',
          priority: 50,
        }),
      ),
    );
    expect(err.httpStatusCode).toBe(409);
    expect(err.errorCode).toBe('VPC.9905');
  });

  it('answers 404 VPC.9904 for an unknown group', async () => {
    const err = await sdkError(
      vpc.createSecurityGroupRule(createRequest(denyRule('00000000-0000-4000-8000-000000000000'))),
    );
    expect(err.httpStatusCode).toBe(404);
    expect(err.errorCode).toBe('VPC.9904');
  });

  const badInputs: [string, Record<string, unknown>, string][] = [
    ['ethertype', { ethertype: 'IPv5' }, 'VPC.9902'],
    ['direction', { direction: 'outbound' }, 'VPC.0002'],
    ['action', { action: 'reject' }, 'VPC.0002'],
    ['priority 0', { priority: 0 }, 'VPC.0002'],
    ['priority 101', { priority: '101' }, 'VPC.0002'],
    ['priority not a number', { priority: 'high' }, 'VPC.0002'],
    ['CIDR', { remote_ip_prefix: '192.168.0.300/32' }, 'VPC.0002'],
    ['CIDR prefix', { remote_ip_prefix: '10.0.0.0/33' }, 'VPC.0002'],
    ['IPv6 prefix on IPv4', { remote_ip_prefix: '2001:db8::1' }, 'VPC.0002'],
    ['port range', { multiport: '70000' }, 'VPC.0002'],
    ['reversed range', { multiport: '6000-5000' }, 'VPC.0002'],
    ['ports without tcp/udp', { protocol: 'icmp' }, 'VPC.0002'],
    ['protocol', { protocol: 'sctp-ish' }, 'VPC.0002'],
    ['remote prefix and group', { remote_group_id: 'x' }, 'VPC.0002'],
    ['description with <', { description: '<b>' }, 'VPC.0002'],
  ];
  for (const [what, override, code] of badInputs) {
    it(`refuses a bad ${what} with 400 ${code}`, async () => {
      const err = await sdkError(
        vpc.createSecurityGroupRule(createRequest(denyRule(eniOf('stage'), override))),
      );
      expect(err.httpStatusCode).toBe(400);
      expect(err.errorCode).toBe(code);
    });
  }
});

describe('show and delete', () => {
  it('shows a rule, deletes it with 204, then answers 404', async () => {
    const rule = rulesOfGroup(h.world, eniOf('prod')).find(
      (r) => r.action === 'deny',
    ) as WireSecurityGroupRule;
    const shown = wire<{ security_group_rule: WireSecurityGroupRule }>(
      await vpc.showSecurityGroupRule(
        new ShowSecurityGroupRuleRequest().withSecurityGroupRuleId(rule.id),
      ),
    );
    expect(shown.security_group_rule).toEqual(rule);
    const del = wire<{ httpStatusCode: number }>(
      await vpc.deleteSecurityGroupRule(
        new DeleteSecurityGroupRuleRequest().withSecurityGroupRuleId(rule.id),
      ),
    );
    expect(del.httpStatusCode).toBe(204);
    expect(h.log.at(-1)).toMatchObject({ method: 'DELETE', status: 204 });
    expect(rulesOfGroup(h.world, eniOf('prod')).some((r) => r.id === rule.id)).toBe(false);
    const again = await sdkError(
      vpc.deleteSecurityGroupRule(
        new DeleteSecurityGroupRuleRequest().withSecurityGroupRuleId(rule.id),
      ),
    );
    expect(again.httpStatusCode).toBe(404);
    expect(again.errorCode).toBe('VPC.9904');
  });

  it('serves a rule created after a delete (no stale index)', async () => {
    const g = eniOf('stage');
    const victim = rulesOfGroup(h.world, g)[0] as WireSecurityGroupRule;
    await vpc.deleteSecurityGroupRule(
      new DeleteSecurityGroupRuleRequest().withSecurityGroupRuleId(victim.id),
    );
    const created = wire<{ security_group_rule: WireSecurityGroupRule }>(
      await vpc.createSecurityGroupRule(createRequest(denyRule(g))),
    ).security_group_rule;
    const listed = await listRules(new ListSecurityGroupRulesRequest().withSecurityGroupId([g]));
    expect(listed.map((r) => r.id)).toContain(created.id);
    expect(listed.map((r) => r.id)).not.toContain(victim.id);
  });
});

describe('BatchCreateSecurityGroupRules', () => {
  function batch(
    groupId: string,
    rules: Record<string, unknown>[],
    o: { ignoreDuplicate?: boolean; dryRun?: boolean } = {},
  ) {
    const body = new BatchCreateSecurityGroupRulesRequestBody().withSecurityGroupRules(
      rules as unknown as BatchCreateSecurityGroupRulesOption[],
    );
    if (o.ignoreDuplicate !== undefined) body.withIgnoreDuplicate(o.ignoreDuplicate);
    if (o.dryRun !== undefined) body.withDryRun(o.dryRun);
    return vpc.batchCreateSecurityGroupRules(
      new BatchCreateSecurityGroupRulesRequest().withSecurityGroupId(groupId).withBody(body),
    );
  }
  const deny = (ip: string) => ({
    direction: 'egress',
    protocol: 'tcp',
    multiport: '5443',
    remote_ip_prefix: ip,
    action: 'deny',
    priority: '1',
  });

  it('creates several rules with 201', async () => {
    const res = wire<{ httpStatusCode: number; security_group_rules: WireSecurityGroupRule[] }>(
      await batch(eniOf('stage'), [deny('10.0.0.1'), deny('10.0.0.2')]),
    );
    expect(res.httpStatusCode).toBe(201);
    expect(res.security_group_rules.map((r) => r.remote_ip_prefix)).toEqual([
      '10.0.0.1/32',
      '10.0.0.2/32',
    ]);
  });

  it('refuses a duplicate without ignore_duplicate and writes nothing', async () => {
    const g = eniOf('prod');
    const before = rulesOfGroup(h.world, g).length;
    const err = await sdkError(batch(g, [deny('10.0.0.9'), deny('192.168.0.61')]));
    expect(err.httpStatusCode).toBe(409);
    expect(err.errorCode).toBe('VPC.9902');
    expect(rulesOfGroup(h.world, g).length).toBe(before);
  });

  it('skips duplicates with ignore_duplicate', async () => {
    const g = eniOf('prod');
    const res = wire<{ security_group_rules: WireSecurityGroupRule[] }>(
      await batch(g, [deny('10.0.0.9'), deny('192.168.0.61')], { ignoreDuplicate: true }),
    );
    expect(res.security_group_rules.map((r) => r.remote_ip_prefix)).toEqual(['10.0.0.9/32']);
  });

  it('answers dry_run with 202 and writes nothing', async () => {
    const g = eniOf('stage');
    const before = rulesOfGroup(h.world, g).length;
    const res = wire<{ httpStatusCode: number }>(
      await batch(g, [deny('10.0.0.1')], { dryRun: true }),
    );
    expect(res.httpStatusCode).toBe(202);
    expect(rulesOfGroup(h.world, g).length).toBe(before);
  });

  it('answers quota for the whole batch', async () => {
    const err = await sdkError(batch(builder.groupId('tiny'), [deny('10.0.0.1')]));
    expect(err.errorCode).toBe('VPC.9905');
  });
});
