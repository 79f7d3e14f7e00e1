#!/bin/sh
# cce-harden: keep pods away from the kube-apiserver on this CCE node.
# Network mode: {{network}} -> iptables chain {{chain}}. Container CIDRs: {{cidrList}}.
# Run as root on every node of the cluster; running it again changes nothing.
set -eu

if [ "$(id -u)" -ne 0 ]; then
  echo "cce-harden: this script must run as root (try: sudo sh $0)" >&2
  exit 1
fi
if ! command -v iptables >/dev/null 2>&1; then
  echo "cce-harden: iptables not found on PATH; install the iptables package and run again" >&2
  exit 1
fi

{{block}}

echo "cce-harden: {{ruleCount}} rule(s) on {{chain}} reject {{scope}} from {{cidrList}} to {{apiServerIp}}"
