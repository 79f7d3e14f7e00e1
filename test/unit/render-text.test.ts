import { describe, it, expect } from 'vitest';
import { makeColors, noColors, printable } from '../../src/render/colors.js';
import { formatChange, formatRule, renderText, verdictWord } from '../../src/render/text.js';
import type { Change, ClusterStatus } from '../../src/core/report.js';
import {
  HOSTILE,
  cluster,
  compliant,
  createDeny,
  denyRule,
  drift,
  errored,
  run,
  standard,
  stripAnsi,
} from '../helpers/render-fixtures.js';

describe('verdictWord', () => {
  it.each<[ClusterStatus, string]>([
    ['compliant', 'compliant'],
    ['drift', 'DRIFT'],
    ['error', 'ERROR'],
    ['not-applicable', 'not applicable'],
  ])('%s -> %s', (status, word) => {
    expect(verdictWord(status)).toBe(word);
    expect(stripAnsi(verdictWord(status, makeColors(true)))).toBe(word);
  });
});

describe('makeColors', () => {
  it('is the identity when off and wraps in SGR codes when on', () => {
    const off = makeColors(false);
    const on = makeColors(true);
    for (const k of ['bold', 'red', 'green', 'yellow', 'dim'] as const) {
      expect(off[k]('x')).toBe('x');
      // eslint-disable-next-line no-control-regex
      expect(on[k]('x')).toMatch(/^\u001b\[\d+mx\u001b\[\d+m$/);
    }
    expect(on.bold(on.red('x'))).toBe('\u001b[1m\u001b[31mx\u001b[39m\u001b[22m');
  });
});

describe('printable', () => {
  it.each([
    ['plain-name', 'plain-name'],
    ['a\nb', 'a\\nb'],
    ['\u001b[31m', '\\u001b[31m'],
    ['x\u202ey', 'x\\u202ey'],
    ['tab\there', 'tab\\there'],
    ['ünïcode 集群', 'ünïcode 集群'],
  ])('%j -> %j', (input, out) => {
    expect(printable(input)).toBe(out);
  });
});

describe('formatRule', () => {
  it.each([
    ['the report view', denyRule, 'egress deny tcp 5443 -> 192.168.0.61/32 priority 1'],
    [
      'the core shape',
      {
        direction: 'egress',
        action: 'deny',
        protocol: 'tcp',
        ports: '5443',
        remoteIpPrefix: '10.0.0.0/8',
        priority: 1,
      },
      'egress deny tcp 5443 -> 10.0.0.0/8 priority 1',
    ],
    [
      'all protocols, all ports, IPv6',
      { ...denyRule, protocol: null, ports: null, ethertype: 'IPv6' as const, destination: null },
      'egress deny IPv6 all-protocols all-ports -> any priority 1',
    ],
  ])('%s', (_name, rule, expected) => {
    expect(formatRule(rule)).toBe(expected);
  });
});

/** One side of a node-pool change: the pool and its script, nothing else. */
function side(poolName: string, poolId: string, postInstallScript: string) {
  return { poolId, poolName, postInstallScript };
}

describe('formatChange', () => {
  const sg = 'demo-turbo-cce-eni-ab12c';
  it.each<[string, Change, string[]]>([
    ['create', createDeny, [`+ egress deny tcp 5443 -> 192.168.0.61/32 priority 1 (sg ${sg})`]],
    [
      'delete',
      { ...createDeny, action: 'delete', before: denyRule, after: null },
      [`- egress deny tcp 5443 -> 192.168.0.61/32 priority 1 (sg ${sg})`],
    ],
    [
      'node-pool script',
      {
        action: 'update',
        kind: 'nodepool-post-install',
        target: 'pool-a',
        targetId: 'np-1',
        before: side('pool-a', 'np-1', 'echo hi\nold line'),
        after: side('pool-a', 'np-1', 'echo hi\niptables -I OUTPUT -j DROP'),
        applied: false,
      },
      [
        '~ update post-install script (node pool pool-a)',
        '    - old line',
        '    + iptables -I OUTPUT -j DROP',
      ],
    ],
    [
      'a pool without a script gets one',
      {
        action: 'update',
        kind: 'nodepool-post-install',
        target: 'pool-b',
        targetId: 'np-2',
        before: side('pool-b', 'np-2', ''),
        after: side('pool-b', 'np-2', '#!/bin/sh\niptables -I OUTPUT -d 192.168.0.61 -j REJECT'),
        applied: false,
      },
      [
        '~ update post-install script (node pool pool-b)',
        '    + #!/bin/sh',
        '    + iptables -I OUTPUT -d 192.168.0.61 -j REJECT',
      ],
    ],
    [
      'a long script diff shows its start and counts the rest; blank lines do not count',
      {
        action: 'update',
        kind: 'nodepool-post-install',
        target: 'pool-c',
        targetId: 'np-3',
        before: side('pool-c', 'np-3', ''),
        after: side(
          'pool-c',
          'np-3',
          ['l1', '', 'l2', 'l3', 'l4', 'l5', 'l6', 'l7', 'l8'].join('\n'),
        ),
        applied: false,
      },
      [
        '~ update post-install script (node pool pool-c)',
        '    + l1',
        '    + l2',
        '    + l3',
        '    + l4',
        '    + l5',
        '    ... 3 more changed lines',
      ],
    ],
    [
      'an unknown shape falls back to JSON',
      { ...createDeny, after: { something: 'else' } } as unknown as Change,
      [`+ {"something":"else"} (sg ${sg})`],
    ],
  ])('%s', (_name, change, expected) => {
    expect(formatChange(change)).toEqual(expected);
  });
});

describe('renderText', () => {
  it('a drift report names the facts, the verdict, the findings, the plan and the fix', () => {
    expect(renderText(run([drift]))).toMatchInlineSnapshot(`
      "Cluster         prod-turbo (c-0002) in cn-north-4 - Turbo, eni, Available
      API server      192.168.0.61:5443
      Security group  demo-turbo-cce-eni-ab12c (sg-1)
      Rule            none
      Verdict         DRIFT

      Findings
        error   No deny rule toward the API server [rule-missing]
        warning cce-hpa-controller needs the API server [addon-needs-apiserver]

      Plan (not applied)
        + egress deny tcp 5443 -> 192.168.0.61/32 priority 1 (sg demo-turbo-cce-eni-ab12c)

      Next
        Run \`cce-harden apply --cluster prod-turbo --region cn-north-4\` to fix it (add --dry-run to preview).
      "
    `);
  });

  it('a compliant report shows the rule and how it matches', () => {
    const out = renderText(run([compliant]));
    expect(out).toContain('Rule            egress deny tcp 5443 -> 192.168.0.61/32 priority 1');
    expect(out).toContain('(equivalent, id rule-1)');
    expect(out).toMatch(/Verdict +compliant\n/);
    expect(out).toContain('Nothing to do.');
    expect(out).not.toContain('Findings');
  });

  it('a disabled rule is marked', () => {
    const out = renderText(
      run([cluster({ status: 'drift', rule: { ...denyRule, enabled: false } })]),
    );
    expect(out).toContain('(equivalent, disabled, id rule-1)');
  });

  it('an error shows code, details and the hint as the next step', () => {
    const out = renderText(run([errored]));
    expect(out).toMatch(/Verdict +ERROR\n/);
    expect(out).toContain('CLOUD: Throttled after 5 attempts');
    expect(out).toContain('HTTP 429, error code APIGW.0308, request id req-42');
    expect(out).toContain('Next\n  Lower --concurrency or try again later.');
    expect(out).not.toContain('Rule ');
  });

  it('not applicable shows the reason and no next step', () => {
    const out = renderText(run([standard]));
    expect(out).toMatch(/Verdict +not applicable\n/);
    expect(out).toContain('info    Standard cluster: use the iptables path [use-iptables]');
    expect(out).not.toContain('Next');
  });

  it.each([
    ['check', {}, 'Run `cce-harden apply --cluster prod-turbo --region cn-north-4` to fix it'],
    ['apply', { dryRun: true }, 'Run the same command without --dry-run'],
    // A plan shown before the confirmation prompt: nothing was applied yet.
    ['apply', {}, 'Nothing changes unless you confirm.'],
  ])('drift after %s %j suggests the right next step', (command, over, expected) => {
    const out = renderText(run([drift], { command, ...over }));
    expect(out).toContain(expected);
  });

  it.each([
    [{ dryRun: true }, [createDeny], 'Plan (dry run: nothing was changed)'],
    [{}, [createDeny], 'Plan (not applied)'],
    [{}, [{ ...createDeny, applied: true }], 'Changes made'],
  ])('the plan heading says whether anything changed (%j)', (over, changes, heading) => {
    const out = renderText(run([{ ...drift, changes }], { command: 'apply', ...over }));
    expect(out).toContain(`${heading}\n  + egress deny`);
  });

  it('an applied and verified change reads as done', () => {
    const done = cluster({ changes: [{ ...createDeny, applied: true }] });
    expect(renderText(run([done], { command: 'apply' }))).toContain('Next\n  Done and verified.');
  });

  it.each(['apply', 'iptables'])(
    '%s with nothing to do still names verify as the next step (not under --dry-run)',
    (command) => {
      const out = renderText(run([compliant], { command }));
      expect(out).toContain(
        'Next\n  Nothing to do.\n  Prove it from inside the cluster: `cce-harden verify --cluster',
      );
      expect(renderText(run([compliant], { command, dryRun: true }))).not.toContain('verify');
    },
  );

  it('several clusters end with a count line', () => {
    const out = renderText(run([compliant, drift, errored, standard]));
    expect(out.trimEnd().split('\n').at(-1)).toBe(
      '4 clusters: 1 compliant, 1 drift, 1 error, 1 not applicable',
    );
  });

  it('a run-level error is reported with its hint', () => {
    const out = renderText(
      run([], {
        status: 'error',
        error: {
          code: 'AUTH',
          message: 'Signature rejected',
          requestId: null,
          hint: 'Check AK/SK.',
        },
      }),
    );
    expect(out).toBe('AUTH: Signature rejected\n\nNext\n  Check AK/SK.\n');
  });

  it('an empty run says so', () => {
    expect(renderText(run([]))).toBe('No clusters to report.\n');
  });

  it('colour changes nothing but the escape codes', () => {
    const report = run([compliant, drift, errored, standard]);
    const plain = renderText(report, { colors: noColors });
    const coloured = renderText(report, { colors: makeColors(true) });
    expect(coloured).not.toBe(plain);
    expect(stripAnsi(coloured)).toBe(plain);
  });

  it('hostile names cannot inject control sequences or break lines, and are shell-quoted', () => {
    const evil = cluster({ name: HOSTILE, status: 'drift', rule: null, region: "r'1" });
    const out = renderText(run([evil]));
    // eslint-disable-next-line no-control-regex
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f\u202e]/);
    expect(out).toContain('a"b\\c\\nd<e>&f\'g\\u001b[31mred\\u202e');
    // Not pasteable as a name: the suggestion uses the id.
    expect(out).toContain("--cluster c-0001 --region 'r'\\''1'");
  });

  it('a name with shell metacharacters is quoted in the suggested command', () => {
    const out = renderText(run([{ ...drift, name: "it's $x" }]));
    expect(out).toContain("cce-harden apply --cluster 'it'\\''s $x' --region cn-north-4");
  });
});
