# >>> cce-harden iptables (managed; do not edit) >>>
# Edits here are drift in `cce-harden check`; see cce-harden docs/iptables.md
cce_harden_f=$(mktemp)
cat >"$cce_harden_f" <<'CCE_HARDEN_RC_LOCAL'
{{rcLocalScript}}
CCE_HARDEN_RC_LOCAL
if sh "$cce_harden_f"; then rm -f "$cce_harden_f"; else rm -f "$cce_harden_f"; echo "cce-harden: FAILED; pods here may reach the API server" >&2; exit 1; fi
# <<< cce-harden iptables <<<
