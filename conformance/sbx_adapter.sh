#!/bin/bash
# The adapter for `sbx run`: runs the probe as the builder and prints its output.
#
#   sbx_adapter.sh [--mode lix|fast] [--build-user] [--uid-range] [--rootless] SBX PROBE
#
# --build-user  build user 30001/30000 (one id; with --uid-range 65536 ids from 30001)
# --rootless    sbx run by an unprivileged user (uid 30100, the Nix adapter's too, so that
#               their outputs compare), without a build user
#
# sbx makes its own root (read-only binds of the host's /usr, /bin, ...), so the probe must
# reach it through a host directory: in a private mount namespace, a tmpfs over /usr/local
# holds it as /usr/local/bin/conformance-probe. A submount of /usr: the probe also sees
# whether the binds are read-only recursively. The host's /usr/local is left as it was.
set -euo pipefail
self=$(readlink -f "$0")

if [[ ${1:-} == --inside ]]; then
  probe=$2
  shift 2
  mount -t tmpfs -o mode=0755 sbx-conformance /usr/local
  mkdir /usr/local/bin
  install -m 0555 "$probe" /usr/local/bin/conformance-probe
  exec "$@" -- /usr/local/bin/conformance-probe
fi

mode=lix
ids=()
run_as=()
while (($# > 2)); do
  case $1 in
    --mode) mode=$2; shift ;;
    --build-user) ids=(--build-uid 30001 --build-gid 30000) ;;
    --uid-range) ids+=(--uid-count 65536) ;;
    --rootless) run_as=(setpriv --reuid=30100 --regid=30100 --clear-groups) ;;
    *) echo "sbx_adapter.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
(($# == 2)) || { echo "usage: $0 [--mode M] [--build-user] [--uid-range] [--rootless] SBX PROBE" >&2; exit 2; }
[[ -d /usr/local ]] || { echo "sbx_adapter.sh: no /usr/local to mount the probe on" >&2; exit 2; }
# Copies anyone may run: Bazel's outputs sit below root's home.
work=$(mktemp -d /tmp/sbx-conformance.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
install -m 0555 "$(readlink -f "$1")" "$work/sbx"
install -m 0555 "$(readlink -f "$2")" "$work/probe"
# The caller's own TMPDIR, where sbx makes the build dir: on /tmp, as the Nix adapter's.
mkdir -m 0711 "$work/caller-tmp"  # a build user may pass through, as through /tmp
((${#run_as[@]})) && chown 30100:30100 "$work/caller-tmp"
cd /
unshare --mount --propagation private "$self" --inside "$work/probe" \
  env TMPDIR="$work/caller-tmp" "${run_as[@]}" "$work/sbx" run --mode "$mode" "${ids[@]}"
