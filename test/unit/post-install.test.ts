import { beforeAll, describe, expect, it } from 'vitest';
import { buildIptablesModel } from '../../src/core/iptables.js';
import {
  BLOCK_BEGIN,
  BLOCK_END,
  POST_INSTALL_KEY,
  decodeBase64,
  encodeBase64,
  extractBlock,
  findBlock,
  parseBlock,
  removeBlock,
  upsertBlock,
} from '../../src/core/post-install.js';
import {
  parseNodePool,
  postInstallOf,
  postInstallUpdateBody,
  type RawNodePool,
} from '../../src/cloud/cce-wire.js';
import { renderIptables, templatesForFormat } from '../../src/render/iptables.js';
import { loadTemplates } from '../../src/cli/templates-dir.js';

let block = '';
let oldBlock = '';
beforeAll(async () => {
  const templates = await loadTemplates(templatesForFormat('post-install'));
  const model = (ip: string) =>
    buildIptablesModel({
      apiServer: { ip, port: 5443 },
      containerCidrs: ['172.16.0.0/16'],
      network: 'tunnel',
    });
  block = renderIptables(model('192.168.0.61'), 'post-install', templates);
  oldBlock = renderIptables(model('192.168.0.9'), 'post-install', templates);
});

describe('Base64', () => {
  it.each([
    ['', ''],
    ['ls -l\n', 'bHMgLWwK'],
    ['echo héllo ✓\n', 'ZWNobyBow6lsbG8g4pyTCg=='],
    ['\uFEFF#!/bin/sh\n', '77u/IyEvYmluL3NoCg=='],
  ])('%j <-> %s (byte for byte, BOM kept)', (text, b64) => {
    expect(encodeBase64(text)).toBe(b64);
    expect(decodeBase64(b64)).toBe(text);
  });

  it('round-trips a large script', () => {
    const big = 'echo 0123456789abcdef\n'.repeat(10_000);
    expect(decodeBase64(encodeBase64(big))).toBe(big);
  });

  it('refuses what it could not re-encode unchanged', () => {
    expect(() => decodeBase64('not base64!')).toThrow('not valid Base64');
    expect(() => decodeBase64('/w==')).toThrow('not UTF-8'); // a lone 0xFF byte
  });
});

describe('upsertBlock', () => {
  it.each([
    ['an empty script', '', () => block],
    [
      'a script ending in a newline',
      '#!/bin/bash\necho one\n',
      () => `#!/bin/bash\necho one\n${block}`,
    ],
    ['a script without a final newline', 'echo one', () => `echo one\n${block}`],
    [
      'a script ending in exit 0 (the block goes before it)',
      '#!/bin/bash\necho one\nexit 0\n\n',
      () => `#!/bin/bash\necho one\n${block}exit 0\n\n`,
    ],
    ['a script ending in a bare exit', 'echo one\n  exit', () => `echo one\n${block}  exit`],
  ])('inserts into %s', (_name, script, expected) => {
    expect(upsertBlock(script, block)).toBe(expected());
  });

  it('replaces an older block in place, keeping every other byte (CRLF, tabs, unicode)', () => {
    const before = '#!/bin/bash\r\n\techo "vorher ✓"\r\n';
    const after = 'echo after\n# trailing comment without newline';
    const script = `${before}${oldBlock}${after}`;
    const updated = upsertBlock(script, block);
    expect(updated).toBe(`${before}${block}${after}`);
    expect(parseBlock(extractBlock(updated) ?? '').apiServerIp).toBe('192.168.0.61');
  });

  it('is idempotent', () => {
    const once = upsertBlock('echo one\nexit 0\n', block);
    expect(upsertBlock(once, block)).toBe(once);
  });

  it('accepts a block without its final newline', () => {
    expect(upsertBlock('', block.trimEnd())).toBe(block);
  });

  it('refuses a block without markers', () => {
    expect(() => upsertBlock('', 'iptables -F\n')).toThrow('marker lines');
  });

  it.each([
    ['a start without an end', () => `echo a\n${BLOCK_BEGIN}\necho b\n`],
    ['an end without a start', () => `echo a\n${BLOCK_END}\n`],
    ['two blocks', () => `${block}${block}`],
    ['the end before the start', () => `${BLOCK_END}\n${BLOCK_BEGIN}\n`],
  ])('refuses to rewrite a script with %s', (_name, script) => {
    expect(findBlock(script()).kind).toBe('malformed');
    expect(() => upsertBlock(script(), block)).toThrow('fix it by hand');
    expect(() => removeBlock(script())).toThrow('fix it by hand');
  });
});

describe('removeBlock / extractBlock', () => {
  it('removes exactly the block and is a no-op without one', () => {
    const script = `echo a\n${oldBlock}echo b\n`;
    expect(removeBlock(script)).toBe('echo a\necho b\n');
    expect(removeBlock('echo a\n')).toBe('echo a\n');
    expect(extractBlock(script)).toBe(oldBlock);
    expect(extractBlock('echo a\n')).toBeNull();
  });
});

describe('parseBlock', () => {
  it('reads the rules back from the rule lines', () => {
    expect(parseBlock(block)).toMatchObject({
      version: 1,
      chain: 'FORWARD',
      apiServerIp: '192.168.0.61',
      portOnly: false,
      cidrs: ['172.16.0.0/16'],
      problems: [],
    });
  });

  it('reports an edited block', () => {
    const noRules = block
      .split('\n')
      .filter((l) => !l.startsWith('cce_harden_rule '))
      .join('\n');
    expect(parseBlock(noRules).problems).toContain('the block has no rule lines');

    const mixed = block.replace(
      /^cce_harden_rule FORWARD (.*)$/m,
      'cce_harden_rule FORWARD $1\ncce_harden_rule OUTPUT -s 10.9.0.0/16 -d 192.168.0.62 -j REJECT',
    );
    const p = parseBlock(mixed);
    expect(p.chain).toBeNull();
    expect(p.apiServerIp).toBeNull();
    expect(p.cidrs).toEqual(['172.16.0.0/16', '10.9.0.0/16']);
    expect(p.problems).toEqual([
      'the rule lines disagree on the chain',
      'the rule lines disagree on the API server IP',
    ]);

    const accept = parseBlock(block.replace('-j REJECT', '-j ACCEPT'));
    expect(accept.problems).toEqual(['rule line 1 does not jump to REJECT']);

    const hostile = parseBlock(
      '# cce-harden iptables rules v1\ncce_harden_rule FORWARD -s $(reboot) -d 1.2.3.4 -j REJECT',
    );
    expect(hostile.cidrs).toEqual([]);
    expect(hostile.problems[0]).toContain('rule line 1:');
  });

  it('has no version without the header', () => {
    const p = parseBlock(block.replace(/^# cce-harden iptables rules v1 .*$/m, '# edited'));
    expect(p.version).toBeNull();
    expect(p.problems).toContain('the block has no version header');
  });
});

describe('node pool post-install script', () => {
  const pool: RawNodePool = {
    kind: 'NodePool',
    apiVersion: 'v3',
    metadata: { name: 'pool-a', uid: 'p-1' },
    spec: {
      type: 'vm',
      initialNodeCount: 3,
      autoscaling: { enable: true, minNodeCount: 1, maxNodeCount: 5 },
      nodeTemplate: {
        flavor: 's6.large.2',
        extendParam: { [POST_INSTALL_KEY]: encodeBase64('echo hi\n'), maxPods: 110 },
      },
    },
    status: { currentNode: 3, phase: '' },
  };

  const wire = (p: RawNodePool) => parseNodePool(p, 'ShowNodePool', 'cn-north-4');

  it('reads the decoded script; none means empty', () => {
    expect(postInstallOf(wire(pool))).toEqual({ ok: true, script: 'echo hi\n' });
    const bare: RawNodePool = { metadata: { name: 'b', uid: 'b' }, spec: {} };
    expect(postInstallOf(wire(bare))).toEqual({ ok: true, script: '' });
    const bad = structuredClone(pool);
    bad.spec.nodeTemplate!.extendParam![POST_INSTALL_KEY] = '%%%';
    expect(postInstallOf(wire(bad))).toEqual({
      ok: false,
      problem: 'the post-install script is not valid Base64',
    });
  });

  it('the update body carries the update model only: the new script, never the count or login', () => {
    const withLogin = structuredClone(pool);
    withLogin.spec['login'] = { sshKey: 'my-key', userPassword: { password: 'secret' } };
    withLogin.spec.nodeTemplate!['login'] = { sshKey: 'my-key' };
    withLogin.spec.nodeTemplate!['rootVolume'] = { size: 40, volumetype: 'SSD' };
    const body = postInstallUpdateBody(wire(withLogin), 'echo new\n');
    expect(body).toEqual({
      kind: 'NodePool',
      apiVersion: 'v3',
      metadata: { name: 'pool-a' },
      spec: {
        ignoreInitialNodeCount: true,
        initialNodeCount: 3,
        autoscaling: { enable: true, minNodeCount: 1, maxNodeCount: 5 },
        nodeTemplate: { extendParam: { [POST_INSTALL_KEY]: encodeBase64('echo new\n') } },
      },
    });
    expect(JSON.stringify(body)).not.toMatch(/login|sshKey|secret|rootVolume|flavor/);
  });
});
