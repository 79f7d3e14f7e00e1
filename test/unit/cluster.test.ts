import { describe, expect, it } from 'vitest';
import { parseApiServerUrl, readClusterFacts, selectCluster } from '../../src/core/cluster.js';
import { NotFoundError, UsageError } from '../../src/core/errors.js';
import type { RawCluster } from '../../src/core/types.js';

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
  const list = [cluster(), { ...cluster(), metadata: { name: 'dev', uid: 'uid-2' } }];
  it('finds by id and by name', () => {
    expect(selectCluster(list, 'uid-2').metadata.name).toBe('dev');
    expect(selectCluster(list, 'prod').metadata.uid).toBe('uid-1');
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
    const dup = [cluster(), { ...cluster(), metadata: { name: 'prod', uid: 'uid-3' } }];
    expect(() => selectCluster(dup, 'prod')).toThrow(UsageError);
  });
});
