# >>> cce-harden iptables (managed; do not edit) >>>
# Added by cce-harden to this node pool's post-installation script. On every new node it applies
# iptables rules that reject traffic from the container CIDRs to the kube-apiserver and keeps them
# across reboots through /etc/rc.local. If that fails the script exits non-zero, so the node
# reports a failed installation instead of running unprotected. Edits here show up as drift in
# `cce-harden check`; `cce-harden iptables --install` rewrites this block.
cce_harden_setup=$(mktemp)
cat > "$cce_harden_setup" <<'CCE_HARDEN_RC_LOCAL'
{{rcLocalScript}}
CCE_HARDEN_RC_LOCAL
if sh "$cce_harden_setup"; then
  rm -f "$cce_harden_setup"
else
  rm -f "$cce_harden_setup"
  echo "cce-harden: FAILED to apply the iptables rules; pods on this node could reach the API server" >&2
  exit 1
fi
# <<< cce-harden iptables <<<
