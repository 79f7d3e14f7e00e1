# >>> cce-harden iptables (managed; do not edit) >>>
# Applies cce-harden's iptables rules and keeps them in /etc/rc.local; a failure fails the node's
# installation. Edits here show up as drift. How it works: docs/iptables.md.
cce_harden_f=$(mktemp)
cat >"$cce_harden_f" <<'CCE_HARDEN_RC_LOCAL'
{{rcLocalScript}}
CCE_HARDEN_RC_LOCAL
if sh "$cce_harden_f"; then rm -f "$cce_harden_f"; else rm -f "$cce_harden_f"; echo "cce-harden: FAILED to apply the iptables rules; pods on this node could reach the API server" >&2; exit 1; fi
# <<< cce-harden iptables <<<
