#!/bin/sh
# cce-harden: installs the iptables script as {{scriptPath}} and a systemd oneshot unit that runs
# it at every boot (for distributions without rc.local), then runs it once now.
# Run as root on every node; running it again changes nothing.
# Network mode: {{network}} -> iptables chain {{chain}}. Container CIDRs: {{cidrList}}.
set -eu

if [ "$(id -u)" -ne 0 ]; then
  echo "cce-harden: this script must run as root (try: sudo sh $0)" >&2
  exit 1
fi
if [ ! -d /run/systemd/system ] || ! command -v systemctl >/dev/null 2>&1; then
  echo "cce-harden: systemd is not running on this host; use the rc-local format instead" >&2
  exit 1
fi

mkdir -p "$(dirname {{scriptPath}})"
cat > {{scriptPath}} <<'CCE_HARDEN_SCRIPT'
{{script}}
CCE_HARDEN_SCRIPT
chmod 0755 {{scriptPath}}

cat > /etc/systemd/system/{{unitName}} <<'CCE_HARDEN_UNIT'
{{unit}}
CCE_HARDEN_UNIT

systemctl daemon-reload
systemctl enable {{unitName}}
# restart, not start: a oneshot unit with RemainAfterExit stays "active" and start would skip it.
systemctl restart {{unitName}}
echo "cce-harden: {{unitName}} enabled; it applied the rules now and will at every boot"
