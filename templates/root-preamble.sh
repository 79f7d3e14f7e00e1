set -eu
[ "$(id -u)" = 0 ] || { echo "cce-harden: this script must run as root{{rootHint}}" >&2; exit 1; }
