#!/bin/sh
# cce-harden: apply the iptables rules now and keep them across reboots through /etc/rc.local,
# as the CCE hardening guide does. Run as root on every node; running it again changes nothing:
# an older cce-harden block in rc.local is replaced in place, never duplicated.
# Network mode: {{network}} -> iptables chain {{chain}}. Container CIDRs: {{cidrList}}.
# CCE_HARDEN_RC_LOCAL names another file than /etc/rc.local (non-standard layouts, tests).
set -eu

if [ "$(id -u)" -ne 0 ]; then
  echo "cce-harden: this script must run as root (try: sudo sh $0)" >&2
  exit 1
fi
if ! command -v iptables >/dev/null 2>&1; then
  echo "cce-harden: iptables not found on PATH; install the iptables package and run again" >&2
  exit 1
fi

rc_local=${CCE_HARDEN_RC_LOCAL:-/etc/rc.local}
begin='# >>> cce-harden rc.local (managed; do not edit) >>>'
end='# <<< cce-harden rc.local <<<'
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat > "$work/block" <<'CCE_HARDEN_BLOCK'
{{block}}
CCE_HARDEN_BLOCK

# 1. Apply the rules now.
sh -e "$work/block"

# 2. Persist: drop an older cce-harden block, keep every other line, and put the block before a
#    trailing "exit" (anything after it would never run). A missing or empty file gets a shebang.
if [ -s "$rc_local" ]; then
  cat "$rc_local" > "$work/current"
else
  printf '#!/bin/sh\n' > "$work/current"
fi
awk -v b="$begin" -v e="$end" -v blk="$work/block" '
  function emit(   l) {
    print b
    while ((getline l < blk) > 0) print l
    close(blk)
    print e
  }
  $0 == b { skip = 1; next }
  $0 == e { skip = 0; next }
  !skip { line[++n] = $0 }
  END {
    last = n
    while (last > 0 && line[last] ~ /^[ \t]*$/) last--
    at = n + 1
    if (last > 0 && line[last] ~ /^[ \t]*exit([ \t;]|$)/) at = last
    for (i = 1; i <= n; i++) {
      if (i == at) emit()
      print line[i]
    }
    if (at == n + 1) emit()
  }
' "$work/current" > "$work/next"
# Writing through the existing path keeps its owner and follows a symlink (EulerOS and CentOS
# link /etc/rc.local to /etc/rc.d/rc.local, which is the file rc-local.service checks).
cat "$work/next" > "$rc_local"
chmod +x "$rc_local"

# 3. rc-local.service runs the file at boot where systemd is init. Debian and Ubuntu ship the
#    unit without an [Install] section (a generator starts it when the file is executable), so a
#    failing enable is only a note.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl enable rc-local.service >/dev/null 2>&1 ||
    echo "cce-harden: note: 'systemctl enable rc-local.service' failed; systemd still runs $rc_local at boot when it is executable" >&2
fi

echo "cce-harden: {{ruleCount}} rule(s) on {{chain}} applied and kept in $rc_local"
