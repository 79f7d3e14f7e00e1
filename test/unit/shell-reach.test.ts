import { describe, expect, it } from 'vitest';
import { shellReach } from '../../src/core/shell-reach.js';

const ends = (src: string) => shellReach(src).ends.map((e) => e.text);

describe('unconditional early ends of a shell script', () => {
  it.each([
    ['exit 0\n', ['exit 0']],
    ['echo a\nexit\n# trailing\n', ['exit']],
    ['echo a; exit 3\n', ['exit 3']],
    ['exec /usr/bin/foo --bar\n', ['exec /usr/bin/foo --bar']],
    ['return 0\n', ['return 0']],
    ['{ echo a; exit 1; }\n', ['exit 1; }']],
    ['{\n  echo a\n  exit 1\n}\n', ['exit 1']],
    ['! exit 2\n', ['exit 2']],
  ])('%j -> %j', (src, expected) => {
    expect(ends(src)).toEqual(expected);
  });

  it.each([
    ['behind ||', 'command -v foo || exit 1\n'],
    ['behind &&', '[ -f /x ] && exit 0\n'],
    ['followed by ||', 'exit 1 || true\n'],
    ['in a pipeline', 'echo | exit 1\n'],
    ['in the background', 'exit 1 &\n'],
    ['in a subshell', '( exit 1 )\n'],
    ['in if', 'if [ -f /x ]; then\n  exit 0\nfi\n'],
    ['in case', 'case $1 in\n  stop) exit 0 ;;\nesac\n'],
    ['in a loop', 'while true; do exit 0; done\n'],
    ['in a function', 'die() {\n  echo "$1" >&2\n  exit 1\n}\n'],
    ['in a bash function', 'function die {\n  exit 1\n}\n'],
    ['in a bash function with ()', 'function die() {\n  exit 1\n}\n'],
    ['in a brace group behind ||', 'foo || { echo no; exit 1; }\n'],
    ['in a brace group followed by ||', '{ exit 1; } || true\n'],
    ['in a here-document', "cat <<'EOF'\nexit 0\nEOF\n"],
    ['in a <<- here-document', 'cat <<-EOF\n\texit 0\n\tEOF\n'],
    ['in quotes', 'echo "\nexit 0\n"\n'],
    ['in a command substitution', 'x=$(\nexit 0\n)\n'],
    ['a word that starts with exit', 'exit_code=1\nexiting\n'],
    ['exec with redirections only', 'exec >/var/log/x 2>&1\nexec 3</etc/hosts\n'],
    ['a comment', '# exit 0\n'],
  ])('%s: not an unconditional end', (_name, src) => {
    expect(ends(src)).toEqual([]);
  });

  it('finds the first end after conditional ones, with its line', () => {
    const r = shellReach('#!/bin/sh\nset -e\n[ -x /a ] || exit 1\necho ok\nexit 0\n');
    expect(r.ends.map((e) => [e.line, e.text])).toEqual([[5, 'exit 0']]);
  });

  it('places comment lines: top level, compound, function, here-document', () => {
    const src = '# a\nif x; then\n# b\nfi\nf() {\n# c\n}\ncat <<E\n# d\nE\n{\n# e\n}\n';
    const r = shellReach(src);
    const at = (text: string) => r.contextAt(src.indexOf(text));
    expect([at('# a'), at('# b'), at('# c'), at('# d'), at('# e')]).toEqual([
      'top',
      'compound',
      'function',
      'heredoc',
      'top',
    ]);
  });
});
