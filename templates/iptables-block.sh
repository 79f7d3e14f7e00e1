# cce-harden iptables rules v{{version}} (network={{network}} ports={{ports}}); see cce-harden docs/iptables.md
_ch_err=0 _ch_keep=
cce_harden_rule() {
  _ch_m="cce-harden: reject $2 to $3"
  case $4 in
    all) set -- "$1" -s "$2" -d "$3" ;;
    *,*) _ch_m="$_ch_m:$4/tcp" && set -- "$1" -s "$2" -d "$3" -p tcp -m multiport --dports "$4" ;;
    *) _ch_m="$_ch_m:$4/tcp" && set -- "$1" -s "$2" -d "$3" -p tcp --dport "$4" ;;
  esac
  _ch_keep="$_ch_keep|$1 $_ch_m|"
  set -- "$@" -m comment --comment "$_ch_m" -j REJECT
  _ch_s=0 && iptables -w 10 -C "$@" 2>/dev/null || _ch_s=$?
  if [ $_ch_s = 1 ]; then _ch_s=0 && iptables -w 10 -I "$@" || _ch_s=$?; fi
  [ $_ch_s = 0 ] || { echo "cce-harden: iptables failed (exit $_ch_s): $1 $_ch_m" >&2; _ch_err=1; }
}
cce_harden_rules() {
  _ch_c=$1 _ch_d=$2 _ch_p=$3 && shift 3
  for _ch_x; do cce_harden_rule "$_ch_c" "$_ch_x" "$_ch_d" "$_ch_p"; done
  [ $_ch_err = 0 ] || return 0
  for _ch_c in OUTPUT FORWARD; do
    _ch_l=$(iptables -w 10 -S $_ch_c) || { _ch_err=1 && break; }
    while IFS= read -r _ch_x; do
      case $_ch_x in "-A $_ch_c "*'--comment "cce-harden: '*) ;; *) continue ;; esac
      _ch_m=${_ch_x#*--comment ?} && _ch_m=${_ch_m%%\"*}
      case $_ch_keep in *"|$_ch_c $_ch_m|"*) continue ;; esac
      _ch_p=${_ch_x#"-A $_ch_c "} && _ch_p=${_ch_p%% -m comment --comment*}
      (IFS=' ' && set -f && iptables -w 10 -D $_ch_c $_ch_p -m comment --comment "$_ch_m" ${_ch_x#*--comment \"*\"}) || _ch_err=1
    done <<CCE_HARDEN_RULES
$_ch_l
CCE_HARDEN_RULES
  done
}
{{rules}}
[ $_ch_err = 0 ] || { echo "cce-harden: FAILED, rules incomplete; run again" >&2; exit 1; }
