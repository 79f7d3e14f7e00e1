import { describe, expect, it } from 'vitest';
import { NotFoundError, UsageError } from '../../src/core/errors.js';
import {
  isEniGroupName,
  findEniSecurityGroup,
  matchEniGroups,
} from '../../src/core/security-group.js';

const groups = [
  { id: 'eni', name: 'prod-cce-eni-ab12c' },
  { id: 'node', name: 'prod-cce-node-x9y8z' },
  { id: 'control', name: 'prod-cce-control-q1w2e' },
  { id: 'other', name: 'prod-old-cce-eni-zz99a' },
  { id: 'dotty', name: 'prodXcce-eni-ab12c' },
  { id: 'default', name: 'default' },
];

describe('ENI security group selection', () => {
  it('matches exactly <name>-cce-eni-<id>, not a cluster that shares the prefix', () => {
    expect(matchEniGroups(groups, 'prod').map((g) => g.id)).toEqual(['eni']);
    expect(matchEniGroups(groups, 'prod-old').map((g) => g.id)).toEqual(['other']);
  });

  it('escapes regex characters in the cluster name', () => {
    expect(
      matchEniGroups(
        [
          { id: 'a', name: 'a.b-cce-eni-1' },
          { id: 'b', name: 'aXb-cce-eni-1' },
        ],
        'a.b',
      ).map((g) => g.id),
    ).toEqual(['a']);
  });

  it('none found: error suggesting --security-group', () => {
    expect(() => findEniSecurityGroup(groups, 'staging')).toThrow(NotFoundError);
    try {
      findEniSecurityGroup(groups, 'staging');
    } catch (e) {
      expect((e as NotFoundError).hint).toContain('--security-group');
    }
  });

  it('several found: error listing them, unless --security-group picks one', () => {
    const two = [...groups, { id: 'eni2', name: 'prod-cce-eni-zzzzz' }];
    expect(() => findEniSecurityGroup(two, 'prod')).toThrow(
      /prod-cce-eni-ab12c.*prod-cce-eni-zzzzz/,
    );
    expect(() => findEniSecurityGroup(two, 'prod')).toThrow(UsageError);
    expect(findEniSecurityGroup(two, 'prod', 'eni2').id).toBe('eni2');
  });

  it('refuses node and control groups even when given explicitly', () => {
    expect(() => findEniSecurityGroup(groups, 'prod', 'node')).toThrow(UsageError);
    expect(() => findEniSecurityGroup(groups, 'prod', 'control')).toThrow(UsageError);
  });

  it('an explicit id that does not exist is not found', () => {
    expect(() => findEniSecurityGroup(groups, 'prod', 'missing')).toThrow(NotFoundError);
  });
});

/** The name shape itself, `^<cluster>-cce-eni-<letters and digits>$`: what the index must agree with. */
function eniGroupPattern(clusterName: string): RegExp {
  const escaped = clusterName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped}-cce-eni-[A-Za-z0-9]+$`);
}

describe('ENI groups indexed by cluster name', () => {
  const tricky = [
    { id: '1', name: 'a-cce-eni-b-cce-eni-c' },
    { id: '2', name: 'a-cce-eni-cce-eni-x' },
    { id: '3', name: 'a-cce-eni-' },
    { id: '4', name: '-cce-eni-z' },
    { id: '5', name: 'a-cce-eni-x\n' },
    { id: '6', name: 'a-cce-eni-x y' },
    { id: '7', name: 'a-cce-eni-Q7' },
    { id: '8', name: 'a-cce-eni-q8' },
    { id: '9', name: 'a(b)-cce-eni-9' },
    { id: '10', name: 'a-cce-node-1-cce-eni-2' },
  ];
  const names = [
    'a',
    'a-cce-eni-b',
    'a-cce-eni',
    '',
    'a(b)',
    'a-cce-node-1',
    'b',
    'a-cce-eni-b-cce-eni-c',
  ];

  it('finds exactly what the name pattern finds, in the same order', () => {
    for (const cluster of names) {
      const pattern = eniGroupPattern(cluster);
      expect(matchEniGroups(tricky, cluster), cluster).toEqual(
        tricky.filter((g) => pattern.test(g.name)),
      );
    }
  });

  it('isEniGroupName answers what the name pattern answers', () => {
    for (const cluster of names) {
      const pattern = eniGroupPattern(cluster);
      for (const g of tricky) {
        expect(isEniGroupName(g.name, cluster), `${g.name} / ${cluster}`).toBe(
          pattern.test(g.name),
        );
      }
    }
  });

  it('indexes a list once and still answers for a list that grew', () => {
    const list = [{ id: 'x', name: 'c-cce-eni-1' }];
    expect(matchEniGroups(list, 'c').map((g) => g.id)).toEqual(['x']);
    list.push({ id: 'y', name: 'c-cce-eni-2' });
    expect(matchEniGroups(list, 'c').map((g) => g.id)).toEqual(['x', 'y']);
    // A copy: changing the answer does not change the index.
    matchEniGroups(list, 'c').pop();
    expect(matchEniGroups(list, 'c')).toHaveLength(2);
  });

  it('keeps the first group of a repeated id for --security-group, as a search would', () => {
    const dup = [
      { id: 'd', name: 'c-cce-eni-1' },
      { id: 'd', name: 'c-cce-node-1' },
    ];
    expect(findEniSecurityGroup(dup, 'c', 'd').name).toBe('c-cce-eni-1');
  });
});
