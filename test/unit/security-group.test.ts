import { describe, expect, it } from 'vitest';
import { NotFoundError, UnsafeError, UsageError } from '../../src/core/errors.js';
import { findEniSecurityGroup, matchEniGroups } from '../../src/core/security-group.js';

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
    expect(() => findEniSecurityGroup(groups, 'prod', 'node')).toThrow(UnsafeError);
    expect(() => findEniSecurityGroup(groups, 'prod', 'control')).toThrow(UnsafeError);
  });

  it('an explicit id that does not exist is not found', () => {
    expect(() => findEniSecurityGroup(groups, 'prod', 'missing')).toThrow(NotFoundError);
  });
});
