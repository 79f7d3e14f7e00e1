import { describe, expect, it } from 'vitest';
import {
  buildIptablesModel,
  chainForNetwork,
  networkForContainerMode,
  parseApiServerEndpoint,
  ruleArgs,
  type IptablesInput,
} from '../../src/core/iptables.js';
import { UsageError } from '../../src/core/errors.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { parseClusterList, type RawCluster } from '../../src/cloud/cce-wire.js';

const valid: IptablesInput = {
  apiServer: { ip: '192.168.0.61', port: 5443 },
  containerCidrs: ['172.16.0.0/16'],
  network: 'tunnel',
};

function problemsOf(input: IptablesInput): string[] {
  try {
    buildIptablesModel(input);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return [...(err as UsageError).problems];
  }
  throw new Error('expected a UsageError');
}

function cluster(containerNetwork: RawCluster['spec']['containerNetwork']): RawCluster {
  return { metadata: { name: 'c', uid: 'u' }, spec: { containerNetwork } };
}

/** Container CIDRs as cloud/ reads them from a cluster object. */
function containerCidrsOf(raw: RawCluster): string[] {
  return parseClusterList({ items: [raw] }, 'r')[0]?.containerCidrs ?? [];
}

describe('chain selection', () => {
  it.each([
    ['vpc', 'OUTPUT'],
    ['tunnel', 'FORWARD'],
  ] as const)('%s network uses %s', (network, chain) => {
    expect(chainForNetwork(network)).toBe(chain);
    const m = buildIptablesModel({ ...valid, network });
    expect(m.chain).toBe(chain);
    expect(m.rules.every((r) => r.chain === chain)).toBe(true);
  });

  it.each([
    ['vpc-router', 'vpc'],
    ['overlay_l2', 'tunnel'],
    ['eni', null],
    ['something-new', null],
    [undefined, null],
  ] as const)('CCE container network mode %s maps to %s', (mode, network) => {
    expect(networkForContainerMode(mode)).toBe(network);
  });
});

describe('container CIDRs of a cluster', () => {
  it.each([
    [
      'cidrs[] entries, in order',
      { cidrs: [{ cidr: '10.0.0.0/16' }, { cidr: '10.1.0.0/16' }] },
      ['10.0.0.0/16', '10.1.0.0/16'],
    ],
    ['legacy cidr when cidrs is absent', { cidr: '172.16.0.0/16' }, ['172.16.0.0/16']],
    [
      'cidr ignored when cidrs is present',
      { cidr: '172.16.0.0/16', cidrs: [{ cidr: '10.0.0.0/16' }] },
      ['10.0.0.0/16'],
    ],
    ['legacy cidr when cidrs is empty', { cidr: '172.16.0.0/16', cidrs: [] }, ['172.16.0.0/16']],
    ['nothing', {}, []],
  ])('%s', (_name, net, expected) => {
    expect(containerCidrsOf(cluster({ mode: 'vpc-router', ...net }))).toEqual(expected);
  });

  it('gives nothing without a containerNetwork', () => {
    expect(containerCidrsOf(cluster(undefined))).toEqual([]);
  });
});

describe('buildIptablesModel', () => {
  it('builds one rule per CIDR, all traffic by default, with a recognisable comment', () => {
    const m = buildIptablesModel({ ...valid, containerCidrs: ['172.16.0.0/16', '10.0.0.0/8'] });
    expect(m.rules.map((r) => r.source)).toEqual(['172.16.0.0/16', '10.0.0.0/8']);
    expect(m.portOnly).toBe(false);
    expect(ruleArgs(m.rules[0]!)).toEqual([
      '-s',
      '172.16.0.0/16',
      '-d',
      '192.168.0.61',
      '-m',
      'comment',
      '--comment',
      'cce-harden: reject 172.16.0.0/16 to 192.168.0.61',
      '-j',
      'REJECT',
    ]);
  });

  it('port-only narrows every rule to TCP to the API server port', () => {
    const m = buildIptablesModel({
      ...valid,
      portOnly: true,
      apiServer: { ip: '192.168.0.61', port: '5443' },
    });
    expect(m.apiServer.port).toBe(5443);
    expect(ruleArgs(m.rules[0]!).join(' ')).toContain(
      '-d 192.168.0.61 -p tcp --dport 5443 -m comment',
    );
  });

  it('merges duplicate CIDRs and trims surrounding whitespace', () => {
    const m = buildIptablesModel({
      ...valid,
      containerCidrs: [' 10.0.0.0/8', '10.0.0.0/8 ', '10.0.0.0/8'],
    });
    expect(m.containerCidrs).toEqual(['10.0.0.0/8']);
  });

  it.each([
    ['10.0.0.0/8; rm -rf /', 'not an IPv4 CIDR'],
    ['$(reboot)', 'needs a prefix length'],
    ['`reboot`/8', 'not an IPv4 CIDR'],
    ['10.0.0.0/8 -j ACCEPT', 'not an IPv4 CIDR'],
    ['fd00::/8', 'is IPv6'],
    ['::ffff:10.0.0.0/104', 'is IPv6'],
    ['10.0.0.0/33', 'invalid prefix length'],
    ['10.0.0.0/-1', 'not an IPv4 CIDR'],
    ['10.0.0.0/08', 'invalid prefix length'],
    ['300.1.1.0/24', 'not an IPv4 CIDR'],
    ['10.1/16', 'not an IPv4 CIDR'],
    ['010.0.0.0/8', 'not an IPv4 CIDR'],
    ['0x0a.0.0.0/8', 'not an IPv4 CIDR'],
    ['10.0.0.0', 'needs a prefix length'],
    ['', 'needs a prefix length'],
    ['10.0.0.1/8', 'host bits set; the network is 10.0.0.0/8'],
    ['192.168.0.0/16', 'contains the API server IP'],
    ['0.0.0.0/0', 'contains the API server IP'],
  ])('rejects container CIDR %j (%s)', (cidr, why) => {
    const problems = problemsOf({ ...valid, containerCidrs: [cidr] });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(why);
    expect(problems[0]).toContain('--container-cidr');
  });

  it.each([
    ['300.1.1.1', 'not an IPv4 address'],
    ['2001:db8::1', 'is IPv6'],
    ['192.168.0.61; reboot', 'not an IPv4 address'],
    ['$(reboot)', 'not an IPv4 address'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['127.0.0.1', 'loopback'],
    ['api.example.com', 'not an IPv4 address'],
  ])('rejects API server IP %j (%s)', (ip, why) => {
    const problems = problemsOf({ ...valid, apiServer: { ip, port: 5443 } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(why);
    expect(problems[0]).toContain('--api-server');
  });

  it.each([0, 65536, -1, 1.5, '5443; reboot', '', '0x50', NaN])('rejects port %j', (port) => {
    const problems = problemsOf({ ...valid, apiServer: { ip: '192.168.0.61', port } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('1-65535');
  });

  it('rejects an empty CIDR list and an unknown network', () => {
    expect(problemsOf({ ...valid, containerCidrs: [] })).toEqual([
      expect.stringContaining('no container CIDR given'),
    ]);
    expect(problemsOf({ ...valid, network: 'eni' })).toEqual([
      expect.stringContaining('must be "vpc" or "tunnel"'),
    ]);
  });

  it('reports every problem at once, as a usage error (exit 64)', () => {
    let error: unknown;
    try {
      buildIptablesModel({
        apiServer: { ip: '300.1.1.1', port: 70000 },
        containerCidrs: [
          '10.0.0.0/8; rm -rf /',
          '$(reboot)',
          '10.0.0.0/33',
          'fd00::/8',
          '172.16.0.0/16',
        ],
        network: 'bridge',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    const e = error as UsageError;
    expect(e.exitCode).toBe(ExitCode.usage);
    expect(e.exitCode).toBe(64);
    expect(e.problems).toHaveLength(7);
    expect(e.message.split('\n')).toHaveLength(7);
    for (const bit of ['"bridge"', '"300.1.1.1"', '70000', 'rm -rf', '$(reboot)', '/33', 'IPv6']) {
      expect(e.message).toContain(bit);
    }
  });

  it('quotes hostile text in messages safely (no control characters pass through)', () => {
    const [p] = problemsOf({ ...valid, containerCidrs: ['10.0.0.0/8\n\u001b[31mevil'] });
    expect(p).toContain('\\n\\u001b[31mevil');
    expect(p).not.toContain('\n');
  });
});

describe('parseApiServerEndpoint', () => {
  it.each([
    ['192.168.0.61', { ip: '192.168.0.61', port: 5443 }],
    ['192.168.0.61:6443', { ip: '192.168.0.61', port: 6443 }],
    [' 10.0.0.1:443 ', { ip: '10.0.0.1', port: 443 }],
  ])('parses %j', (text, expected) => {
    expect(parseApiServerEndpoint(text)).toEqual(expected);
  });

  it.each([
    '192.168.0.61:0',
    '192.168.0.61:http',
    '[::1]:5443',
    '2001:db8::1',
    'host:5443',
    '1.2.3.4:5:6',
  ])('rejects %j', (text) => {
    expect(() => parseApiServerEndpoint(text)).toThrow(UsageError);
  });
});

describe('API server address: one clear problem per bad value', () => {
  it.each([
    ['0.0.0.0', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
  ])('%s is refused as %s', (ip, range) => {
    const problems = problemsOf({ ...valid, apiServer: { ip, port: 5443 } });
    expect(problems).toEqual([
      `API server IP ${ip} is ${range === 'unspecified' ? 'an' : 'a'} ${range} address, not a unicast address of an API server (--api-server)`,
    ]);
  });

  it('null (already reported) validates the rest only', () => {
    expect(problemsOf({ ...valid, apiServer: null })).toEqual([]);
    expect(problemsOf({ ...valid, apiServer: null, containerCidrs: ['x'] })).toHaveLength(1);
  });
});

describe('ports', () => {
  it('default: the endpoint port; several: sorted, de-duplicated, multiport', () => {
    expect(buildIptablesModel({ ...valid, portOnly: true }).ports).toEqual([5443]);
    const m = buildIptablesModel({ ...valid, portOnly: true, ports: ['5444', 5443, 5444] });
    expect(m.ports).toEqual([5443, 5444]);
    expect(ruleArgs(m.rules[0]!)).toEqual([
      '-s',
      '172.16.0.0/16',
      '-d',
      '192.168.0.61',
      '-p',
      'tcp',
      '-m',
      'multiport',
      '--dports',
      '5443,5444',
      '-m',
      'comment',
      '--comment',
      'cce-harden: reject 172.16.0.0/16 to 192.168.0.61:5443,5444/tcp',
      '-j',
      'REJECT',
    ]);
    // Without --port-only every port is rejected; the list does not narrow the rule.
    expect(buildIptablesModel({ ...valid, ports: [5444] }).rules[0]?.ports).toBeNull();
  });

  it('refuses bad ports and more than multiport takes', () => {
    expect(problemsOf({ ...valid, portOnly: true, ports: ['0', 'x'] })).toEqual([
      'port "0" is not a port number (1-65535) (--port)',
      'port "x" is not a port number (1-65535) (--port)',
    ]);
    const many = Array.from({ length: 16 }, (_, i) => 6000 + i);
    expect(problemsOf({ ...valid, portOnly: true, ports: many })[0]).toContain('at most 15');
  });
});
