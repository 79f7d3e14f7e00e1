import { beforeAll, describe, expect, it } from 'vitest';
import { buildIptablesModel } from '../../src/core/iptables.js';
import {
  BLOCK_BEGIN,
  BLOCK_END,
  INSTALL_SCRIPTS_BASE64_LIMIT,
  POST_INSTALL_KEY,
  PRE_INSTALL_KEY,
  RC_LOCAL_BEGIN,
  RC_LOCAL_END,
  decodeBase64,
  installScriptsSize,
  judgeManagedBlock,
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
  preInstallOf,
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
      version: 2,
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
      .filter((l) => !l.startsWith('cce_harden_rules '))
      .join('\n');
    expect(parseBlock(noRules).problems).toContain('the block has no rule lines');

    const twoCalls = block.replace(
      /^cce_harden_rules FORWARD (.*)$/m,
      'cce_harden_rules FORWARD $1\ncce_harden_rules OUTPUT 192.168.0.62 all 10.9.0.0/16',
    );
    expect(parseBlock(twoCalls).problems).toEqual([
      'the rule lines disagree on the chain',
      'the rule lines disagree on the API server IP',
    ]);
    expect(parseBlock(block.replace(' all 172', ' $(reboot) 172')).problems).toHaveLength(1);
  });

  it('still reads version 1 blocks (one cce_harden_rule line per CIDR)', () => {
    const v1 = [
      '# cce-harden iptables rules v1 (network=tunnel chain=FORWARD apiserver=192.168.0.61:5443 match=all)',
      "cce_harden_rule FORWARD -s 172.16.0.0/16 -d 192.168.0.61 -m comment --comment 'cce-harden: reject 172.16.0.0/16 to 192.168.0.61' -j REJECT",
    ].join('\n');
    const block = v1;
    expect(parseBlock(v1)).toMatchObject({ version: 1, chain: 'FORWARD', problems: [] });
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
    const p = parseBlock(block.replace(/^# cce-harden iptables rules v2 .*$/m, '# edited'));
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

describe('judgeManagedBlock: compliant only if the block runs, unchanged', () => {
  const user = '#!/bin/bash\necho setup\n';
  const edit = (from: string, to: string) => {
    expect(block).toContain(from);
    return `${user}${block.replace(from, to)}`;
  };
  const codes = (script: string) => judgeManagedBlock(script, block).map((p) => p.code);

  it('accepts the block as rendered, also with CRLF line endings', () => {
    expect(codes(upsertBlock(user, block))).toEqual([]);
    expect(codes(upsertBlock(user, block).replaceAll('\n', '\r\n'))).toEqual([]);
  });

  it.each([
    [
      'the rule function body replaced by true',
      () => edit('cce_harden_rule() {\n', 'cce_harden_rule() {\n  true; return 0\n'),
    ],
    [
      'an exit 0 before the rules line',
      () => edit('\ncce_harden_rules ', '\nexit 0\ncce_harden_rules '),
    ],
    [
      'the setup call wrapped in a here-document',
      () =>
        edit('\nif sh "$cce_harden_f"', '\ncat <<\'X\'\nif sh "$cce_harden_f"').replace(
          '\n# <<< cce-harden iptables <<<',
          '\nX\n# <<< cce-harden iptables <<<',
        ),
    ],
    [
      '|| true on the setup call',
      () => edit('if sh "$cce_harden_f"; then', 'if sh "$cce_harden_f" || true; then'),
    ],
    ['a changed comment', () => edit('Edits here are drift', 'Edits here are fine')],
    ['one character', () => edit('-w 10 -C', '-w 1 -C')],
  ])('drift: %s', (_name, script) => {
    expect(codes(script())).toContain('block-edited');
  });

  it.each([
    ['exit 0 before it', () => `${user}exit 0\n${block}`],
    ['exit 0 and a comment before it', () => `${user}exit 0\n# done\n${block}`],
    ['exec before it', () => `${user}exec /usr/bin/true\n${block}`],
    ['return at the top level (a sourced script)', () => `${user}return 0\n${block}`],
    ['exit inside a top-level { } group', () => `${user}{ echo x; exit 1; }\n${block}`],
    ['a here-document around it', () => `${user}cat >/dev/null <<'EOF'\n${block}EOF\n`],
    ['if false around it', () => `${user}if false; then\n${block}fi\n`],
    ['a function around it', () => `${user}unused() {\n${block}}\n`],
  ])('drift: the block cannot run: %s', (_name, script) => {
    expect(codes(script())).toEqual(['block-unreachable']);
  });

  it.each([
    ['a conditional exit before it', () => `${user}[ -x /bin/sh ] || exit 1\n${block}`],
    ['exit in a function before it', () => `${user}die() { echo "$1"; exit 1; }\n${block}`],
    ['exec with redirections only', () => `${user}exec >>/var/log/post.log 2>&1\n${block}`],
    ['exit after it', () => `${user}${block}exit 0\n`],
  ])('compliant: %s', (_name, script) => {
    expect(codes(script())).toEqual([]);
  });

  it('missing and broken markers', () => {
    expect(codes(user)).toEqual(['block-missing']);
    expect(codes(`${user}${BLOCK_BEGIN}\n`)).toEqual(['block-markers-broken']);
  });

  it('works for the rc.local markers too', () => {
    const rc = `${RC_LOCAL_BEGIN}\niptables-things\n${RC_LOCAL_END}\n`;
    const markers = { begin: RC_LOCAL_BEGIN, end: RC_LOCAL_END };
    expect(judgeManagedBlock(`#!/bin/sh -e\n${rc}exit 0\n`, rc, markers)).toEqual([]);
    expect(
      judgeManagedBlock(`#!/bin/sh -e\nexit 0\n${rc}`, rc, markers).map((p) => p.code),
    ).toEqual(['block-unreachable']);
  });
});

describe('upsertBlock puts the block where it runs', () => {
  it.each([
    [
      'exit 0 followed by comments',
      'echo a\nexit 0\n# the end\n\n',
      'echo a\n',
      'exit 0\n# the end\n\n',
    ],
    ['a trailing exec', 'echo a\nexec /sbin/init\n', 'echo a\n', 'exec /sbin/init\n'],
    [
      'an early exit with dead code after it',
      'echo a\nexit 0\necho dead\n',
      'echo a\n',
      'exit 0\necho dead\n',
    ],
    [
      'a conditional exit (kept before the block)',
      '[ -x /a ] || exit 1\necho b\n',
      '[ -x /a ] || exit 1\necho b\n',
      '',
    ],
  ])('%s', (_name, script, before, after) => {
    const out = upsertBlock(script, block);
    expect(out).toBe(`${before}${block}${after}`);
    expect(judgeManagedBlock(out, block)).toEqual([]);
  });

  it('moves an existing block that cannot run to where it does', () => {
    const out = upsertBlock(`echo a\nexit 0\n${oldBlock}`, block);
    expect(out).toBe(`echo a\n${block}exit 0\n`);
  });
});

describe('installScriptsSize: CCE takes at most 10240 characters of Base64 for pre + post', () => {
  it('measures both scripts as Base64 and accepts what fits', () => {
    const size = installScriptsSize('echo pre\n', `echo post\n${block}`);
    expect(size.preInstallBase64).toBe(encodeBase64('echo pre\n').length);
    expect(size.postInstallBase64).toBe(encodeBase64(`echo post\n${block}`).length);
    expect(size.total).toBe(size.preInstallBase64 + size.postInstallBase64);
    expect(size.limit).toBe(INSTALL_SCRIPTS_BASE64_LIMIT);
    expect(size.problem).toBeNull();
  });

  it('refuses with the numbers and what to do when it does not fit', () => {
    const pre = 'x'.repeat(8000);
    const size = installScriptsSize(pre, block);
    expect(size.total).toBeGreaterThan(10240);
    expect(size.problem).toContain(`${size.total} characters of Base64`);
    expect(size.problem).toContain('at most 10240');
    expect(size.problem).toContain(`by ${size.total - 10240} characters`);
  });

  it('exactly the limit fits', () => {
    // 7680 bytes of text are 10240 characters of Base64.
    expect(installScriptsSize('a'.repeat(7680), '').problem).toBeNull();
    expect(installScriptsSize('a'.repeat(7681), '').problem).not.toBeNull();
  });

  it("reads a pool's pre-install script", () => {
    const pool = {
      metadata: { name: 'p', uid: 'u' },
      spec: { nodeTemplate: { extendParam: { [PRE_INSTALL_KEY]: encodeBase64('echo pre\n') } } },
    } as unknown as RawNodePool;
    expect(preInstallOf(parseNodePool(pool, 'ShowNodePool', 'r'))).toEqual({
      ok: true,
      script: 'echo pre\n',
    });
  });
});
