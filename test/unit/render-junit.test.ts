import { describe, it, expect } from 'vitest';
import { escapeXmlAttr, escapeXmlText, renderJunit } from '../../src/render/junit.js';
import type { RunReport } from '../../src/core/report.js';
import { findAll, parseXml, type XmlElement } from '../helpers/xml-parse.js';
import {
  HOSTILE,
  cluster,
  compliant,
  drift,
  errored,
  run,
  standard,
} from '../helpers/render-fixtures.js';

function parse(report: RunReport, durationSeconds?: number): XmlElement {
  const xml = renderJunit(report, durationSeconds === undefined ? {} : { durationSeconds });
  expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
  return parseXml(xml);
}

function countsOf(el: XmlElement) {
  const { tests, failures, errors, skipped } = el.attrs;
  return { tests, failures, errors, skipped };
}

function caseNamed(root: XmlElement, name: string): XmlElement {
  const found = findAll(root, 'testcase').filter((c) => c.attrs['name'] === name);
  expect(found).toHaveLength(1);
  return found[0] as XmlElement;
}

describe('renderJunit', () => {
  const fleet = run([compliant, drift, errored, standard], { startedAt: '2025-01-01T00:00:00Z' });

  it('one suite per region, sorted, with counts that add up on the root', () => {
    const root = parse(fleet, 3.25);
    expect(root.name).toBe('testsuites');
    expect(root.attrs['name']).toBe('cce-harden check');
    expect(countsOf(root)).toEqual({ tests: '4', failures: '1', errors: '1', skipped: '1' });
    expect(root.attrs['time']).toBe('3.25');
    const suites = root.children;
    expect(suites.map((s) => [s.name, s.attrs['name'], countsOf(s)])).toEqual([
      [
        'testsuite',
        'cce-harden check (ap-southeast-1)',
        { tests: '1', failures: '0', errors: '1', skipped: '0' },
      ],
      [
        'testsuite',
        'cce-harden check (cn-north-4)',
        { tests: '3', failures: '1', errors: '0', skipped: '1' },
      ],
    ]);
    for (const s of suites) {
      expect(s.attrs['timestamp']).toBe('2025-01-01T00:00:00Z');
      expect(Number.isFinite(Number(s.attrs['time']))).toBe(true);
    }
    for (const c of findAll(root, 'testcase')) {
      expect(Number.isFinite(Number(c.attrs['time']))).toBe(true);
    }
  });

  it('a compliant cluster passes: no failure, error or skipped child', () => {
    const c = caseNamed(parse(fleet), compliant.name);
    expect(c.attrs['classname']).toBe('cn-north-4');
    expect(c.children).toEqual([]);
  });

  it('a compliant cluster with findings lists them in system-out', () => {
    const warned = cluster({ findings: [{ code: 'w', severity: 'warning', message: 'careful' }] });
    const c = caseNamed(parse(run([warned])), warned.name);
    expect(c.children.map((x) => [x.name, x.text])).toEqual([
      ['system-out', '[warning] w: careful'],
    ]);
  });

  it('drift is a failure carrying the findings and the plan', () => {
    const c = caseNamed(parse(fleet), drift.name);
    expect(c.children.map((x) => x.name)).toEqual(['failure']);
    const failure = c.children[0] as XmlElement;
    expect(failure.attrs).toEqual({ message: 'No deny rule toward the API server', type: 'drift' });
    expect(failure.text).toBe(
      [
        '[error] rule-missing: No deny rule toward the API server',
        '[warning] addon-needs-apiserver: cce-hpa-controller needs the API server',
        'Plan:',
        '+ egress deny tcp 5443 -> 192.168.0.61/32 priority 1 (sg demo-turbo-cce-eni-ab12c)',
      ].join('\n'),
    );
  });

  it('a cluster that could not be checked is an error with what support needs', () => {
    const c = caseNamed(parse(fleet), errored.name);
    const error = c.children[0] as XmlElement;
    expect(error.name).toBe('error');
    expect(error.attrs).toEqual({ message: 'Throttled after 5 attempts', type: 'CLOUD' });
    expect(error.text).toContain('Request id: req-42');
    expect(error.text).toContain('Error code: APIGW.0308');
  });

  it('not applicable is skipped with the reason', () => {
    const c = caseNamed(parse(fleet), standard.name);
    expect(c.children.map((x) => [x.name, x.attrs['message']])).toEqual([
      ['skipped', 'Standard cluster: use the iptables path'],
    ]);
  });

  it('a run that failed before any cluster is one errored case, not an empty pass', () => {
    const root = parse(
      run([], { status: 'error', error: { code: 'AUTH', message: 'denied', requestId: 'r-1' } }),
    );
    expect(countsOf(root)).toEqual({ tests: '1', failures: '0', errors: '1', skipped: '0' });
    expect(caseNamed(root, 'run').children[0]?.attrs['type']).toBe('AUTH');
  });

  it('clusters without a region share one suite named after the command', () => {
    const root = parse(run([{ ...compliant, region: undefined }], { command: 'apply' }));
    expect(root.children.map((s) => s.attrs['name'])).toEqual(['cce-harden apply']);
    expect(caseNamed(root, compliant.name).attrs['classname']).toBe('cce-harden');
  });

  it('hostile names and messages round-trip; control characters are stripped', () => {
    const expected = HOSTILE.replace('\u001b', '');
    const evil = cluster({
      name: HOSTILE,
      region: `r<&>"'\n`,
      status: 'drift',
      findings: [{ code: 'x', severity: 'error', message: `${HOSTILE}\u0000\u0007` }],
    });
    const root = parse(run([evil]));
    const c = caseNamed(root, expected);
    expect(c.attrs['classname']).toBe(`r<&>"'\n`);
    expect(c.children[0]?.attrs['message']).toBe(expected);
    expect(c.children[0]?.text).toBe(`[error] x: ${expected}`);
  });

  it('a short report, as written', () => {
    expect(renderJunit(run([compliant, standard]))).toMatchInlineSnapshot(`
      "<?xml version="1.0" encoding="UTF-8"?>
      <testsuites name="cce-harden check" tests="2" failures="0" errors="0" skipped="1" time="0">
        <testsuite name="cce-harden check (cn-north-4)" tests="2" failures="0" errors="0" skipped="1" time="0">
          <testcase classname="cn-north-4" name="demo-turbo" time="0"/>
          <testcase classname="cn-north-4" name="legacy" time="0">
            <skipped message="Standard cluster: use the iptables path"/>
          </testcase>
        </testsuite>
      </testsuites>
      "
    `);
  });
});

describe('escaping', () => {
  it.each([
    ['a&b<c>d', 'a&amp;b&lt;c&gt;d', 'a&amp;b&lt;c&gt;d'],
    [`"'`, `"'`, '&quot;&apos;'],
    ['a\nb\tc\rd', 'a\nb\tc\rd', 'a&#10;b&#9;c&#13;d'],
    ['x\u0000\u0008\u000b\u001b\u007f\u0085y', 'xy', 'xy'],
    ['\ud800 lone', ' lone', ' lone'],
    ['😀 pair', '😀 pair', '😀 pair'],
  ])('%j', (input, text, attr) => {
    expect(escapeXmlText(input)).toBe(text);
    expect(escapeXmlAttr(input)).toBe(attr);
  });
});

describe('the test parser is strict', () => {
  it.each([
    ['bare ampersand', '<a>x & y</a>'],
    ['unknown entity', '<a>&nbsp;</a>'],
    ['< in an attribute', '<a b="<"/>'],
    ['mismatched tags', '<a><b></a></b>'],
    ['unclosed root', '<a>'],
    ['two roots', '<a/><b/>'],
    ['duplicate attribute', '<a b="1" b="2"/>'],
    ['unquoted attribute', '<a b=1/>'],
    ['control character', '<a>\u0001</a>'],
    ['reference to a control character', '<a>&#1;</a>'],
  ])('rejects %s', (_name, xml) => {
    expect(() => parseXml(xml)).toThrow();
  });

  it('normalises literal whitespace in attributes but keeps character references', () => {
    const el = parseXml('<a b="x\ny&#10;z&#x9;" c=\'&quot;&amp;\'>t&lt;&#65;</a>');
    expect(el.attrs).toEqual({ b: 'x y\nz\t', c: '"&' });
    expect(el.text).toBe('t<A');
  });
});
