#!/bin/sh
# cce-harden: reject traffic from the container CIDRs ({{network}} network, {{chain}} chain) to the
# kube-apiserver on this CCE node; run as root, again at any time. How it works: docs/iptables.md.
{{preamble}}
command -v iptables >/dev/null 2>&1 || { echo "cce-harden: iptables not found on PATH; install the iptables package and run again" >&2; exit 1; }

{{block}}

echo "cce-harden: {{ruleCount}} rule(s) on {{chain}} reject {{scope}} from {{cidrList}} to {{apiServerIp}}"
