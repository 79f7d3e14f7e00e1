#!/bin/sh
# cce-harden: apply the iptables rules, keep them in /etc/rc.local; see cce-harden docs/iptables.md
{{preamble}}
rc=${CCE_HARDEN_RC_LOCAL:-/etc/rc.local}
[ ! -L "$rc" ] || rc=$(readlink -f "$rc")
w=$(mktemp -d) t=
trap 'rm -rf "$w" $t' EXIT
cat >"$w/b" <<'CCE_HARDEN_BLOCK'
{{block}}
CCE_HARDEN_BLOCK
sh -e "$w/b"
if [ -s "$rc" ]; then cat "$rc" >"$w/c"; else echo '#!/bin/sh' >"$w/c"; fi
awk -v f="$w/b" -v b='# >>> cce-harden rc.local (managed; do not edit) >>>' -v e='# <<< cce-harden rc.local <<<' '
  { l = $0; sub(/\r$/, "", l) }
  l == b { if (inb || nb++) bad = 1; inb = 1; next }
  l == e { if (!inb) bad = 1; inb = 0; next }
  !inb { s[++n] = $0 }
  END {
    if (bad || inb) exit 3
    for (k = n; k > 0 && s[k] ~ /^[ \t]*(#.*)?\r?$/; k--) ;
    at = s[k] ~ /^[ \t]*(exit([ \t;]|\r?$)|exec[ \t]+[^<>&0-9 \t])/ ? k : n + 1
    for (i = 1; i <= n + 1; i++) {
      if (i == at) { print b; while ((getline l < f) > 0) print l; print e }
      if (i <= n) print s[i]
    }
  }' "$w/c" >"$w/n" || { echo "cce-harden: $rc has a broken cce-harden block (begin without end, or two); left unchanged: fix it by hand" >&2; exit 1; }
t=$(mktemp "$(dirname "$rc")/.rc.local.XXXXXX")
if [ -e "$rc" ]; then cp -p "$rc" "$t"; else chmod 755 "$t"; fi
cat "$w/n" >"$t"
chmod u+x "$t"
sync "$t" 2>/dev/null || sync
mv -f "$t" "$rc" && t=
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl enable rc-local.service >/dev/null 2>&1 || echo "cce-harden: note: rc-local.service not enabled" >&2
fi
echo "cce-harden: {{ruleCount}} rule(s) on {{chain}} applied and kept in $rc"
