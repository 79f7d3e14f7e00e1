import { describe, expect, it } from 'vitest';
import { parseClusterList, type RawCluster } from '../../src/cloud/cce-wire.js';
import { parseApiServerUrl, selectCluster } from '../../src/core/cluster.js';
import { CloudError, NotFoundError, UsageError } from '../../src/core/errors.js';

/** The facts cloud/ reads from one cluster object (through the ListClusters schema). */
function readClusterFacts(raw: unknown) {
  const [facts] = parseClusterList({ items: [raw] }, 'cn-north-4');
  if (!facts) throw new Error('no cluster');
  return facts;
}

function cluster(
  over: Partial<RawCluster['spec']> = {},
  status: RawCluster['status'] = {},
): RawCluster {
  return {
    metadata: { name: 'prod', uid: 'uid-1' },
    spec: { category: 'Turbo', containerNetwork: { mode: 'eni' }, ...over },
    status: {
      phase: 'Available',
      endpoints: [
        { url: 'https://192.168.0.61:5443', type: 'Internal' },
        { url: 'https://1.2.3.4:5443', type: 'External' },
      ],
      ...status,
    },
  };
}

describe('readClusterFacts', () => {
  it('reads the internal endpoint of the {url,type} shape', () => {
    const f = readClusterFacts(cluster());
    expect(f.apiServer).toEqual({ ip: '192.168.0.61', port: 5443 });
    expect(f.isTurbo).toBe(true);
  });

  it('reads the {Internal: url} shape', () => {
    const f = readClusterFacts(
      cluster(
        {},
        {
          endpoints: [{ External: 'https://1.2.3.4:5443' }, { Internal: 'https://10.0.0.7:6443' }],
        },
      ),
    );
    expect(f.apiServer).toEqual({ ip: '10.0.0.7', port: 6443 });
  });

  it('defaults the port to 5443', () => {
    const f = readClusterFacts(
      cluster({}, { endpoints: [{ url: 'https://10.1.2.3', type: 'Internal' }] }),
    );
    expect(f.apiServer).toEqual({ ip: '10.1.2.3', port: 5443 });
  });

  it.each([
    ['IPv6', 'https://[fd00::1]:5443', /IPv6/],
    ['hostname', 'https://api.example.internal:5443', /not an IPv4/],
    ['junk', 'not a url', /not a URL/],
  ])('refuses a %s API server address with a clear problem', (_n, url, re) => {
    const f = readClusterFacts(cluster({}, { endpoints: [{ url, type: 'Internal' }] }));
    expect(f.apiServer).toBeNull();
    expect(f.apiServerProblem).toMatch(re);
  });

  it('has no API server when only an External endpoint exists', () => {
    const f = readClusterFacts(
      cluster({}, { endpoints: [{ url: 'https://1.2.3.4:5443', type: 'External' }] }),
    );
    expect(f.apiServer).toBeNull();
    expect(f.apiServerProblem).toMatch(/no internal/);
  });

  it('container CIDRs: cidrs[] wins over the legacy cidr', () => {
    expect(
      readClusterFacts(
        cluster({
          category: 'CCE',
          containerNetwork: {
            mode: 'vpc-router',
            cidr: '172.16.0.0/16',
            cidrs: [{ cidr: '10.0.0.0/16' }, { cidr: '10.1.0.0/16' }],
          },
        }),
      ).containerCidrs,
    ).toEqual(['10.0.0.0/16', '10.1.0.0/16']);
    expect(
      readClusterFacts(
        cluster({
          category: 'CCE',
          containerNetwork: { mode: 'overlay_l2', cidr: '172.16.0.0/16' },
        }),
      ).containerCidrs,
    ).toEqual(['172.16.0.0/16']);
  });

  it('ENI subnets from subnets[] and the deprecated eniSubnetId, deduplicated', () => {
    const f = readClusterFacts(
      cluster({
        eniNetwork: { eniSubnetId: 's1', subnets: [{ subnetID: 's1' }, { subnetID: 's2' }] },
      }),
    );
    expect(f.eniSubnetIds).toEqual(['s1', 's2']);
  });
});

describe('endpoint variants (documented)', () => {
  it.each([
    ['lowercase type', [{ url: 'https://10.0.0.9:5443', type: 'internal' }]],
    [
      'OTC object form',
      { internal: 'https://10.0.0.9:5443', external: 'https://1.2.3.4:5443', external_otc: 'x' },
    ],
    ['capitalised object form', { Internal: 'https://10.0.0.9:5443' }],
    ['array of {Internal: url}', [{ Internal: 'https://10.0.0.9:5443' }]],
  ])('reads the %s', (_name, endpoints) => {
    const f = readClusterFacts({ ...cluster(), status: { phase: 'Available', endpoints } });
    expect(f.apiServer).toEqual({ ip: '10.0.0.9', port: 5443 });
  });

  it.each([
    ['0.0.0.0', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
  ])('refuses the non-unicast API server address %s', (ip, range) => {
    const f = readClusterFacts(
      cluster({}, { endpoints: [{ url: `https://${ip}:5443`, type: 'Internal' }] }),
    );
    expect(f.apiServer).toBeNull();
    expect(f.apiServerProblem).toContain(range);
  });
});

describe('ListClusters answers that are not a cluster list', () => {
  it.each([
    ['an HTML page', '<html><body>Bad gateway</body></html>'],
    ['an empty body', ''],
    ['an empty object', {}],
    ['an array', []],
    ['items that are not clusters', { items: [{ foo: 1 }] }],
    ['a truncated document', '{"items": [{"metadata"'],
  ])('%s is an error naming the call and region', (_name, body) => {
    expect(() => parseClusterList(body, 'cn-north-4')).toThrow(CloudError);
    expect(() => parseClusterList(body, 'cn-north-4')).toThrow(
      /^ListClusters in cn-north-4 answered something that is not a cluster list: /,
    );
  });

  it('a real empty list is an empty region', () => {
    expect(parseClusterList({ kind: 'List', items: [] }, 'cn-north-4')).toEqual([]);
  });
});

describe('parseApiServerUrl', () => {
  it('normalises the address', () => {
    // Leading zeros are octal to the URL parser: refused rather than silently turned into .49.
    expect(parseApiServerUrl('https://192.168.000.061:5443')).toMatchObject({ ok: false });
    expect(parseApiServerUrl('https://192.168.0.61:443')).toEqual({
      ok: true,
      value: { ip: '192.168.0.61', port: 443 },
    });
  });
});

describe('selectCluster', () => {
  const list = [
    readClusterFacts(cluster()),
    readClusterFacts({ ...cluster(), metadata: { name: 'dev', uid: 'uid-2' } }),
  ];
  it('finds by id and by name', () => {
    expect(selectCluster(list, 'uid-2').name).toBe('dev');
    expect(selectCluster(list, 'prod').id).toBe('uid-1');
  });
  it('unknown name: NotFoundError listing what exists', () => {
    expect(() => selectCluster(list, 'nope')).toThrow(NotFoundError);
    try {
      selectCluster(list, 'nope');
    } catch (e) {
      expect((e as NotFoundError).hint).toContain('dev, prod');
    }
  });
  it('two clusters with the same name: asks for the id', () => {
    const dup = [
      readClusterFacts(cluster()),
      readClusterFacts({ ...cluster(), metadata: { name: 'prod', uid: 'uid-3' } }),
    ];
    expect(() => selectCluster(dup, 'prod')).toThrow(UsageError);
  });
});
