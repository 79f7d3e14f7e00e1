# cce-harden iptables rules v{{version}} (network={{network}} chain={{chain}} apiserver={{apiServerIp}}:{{apiServerPort}} match={{match}})
# Rejects traffic from the cluster's container CIDRs to the kube-apiserver. Checking with -C before
# inserting with -I keeps reruns from stacking duplicates; -w waits for the xtables lock that
# kube-proxy also takes.
cce_harden_rule() {
  iptables -w 10 -C "$@" 2>/dev/null || iptables -w 10 -I "$@"
}
{{rules}}
