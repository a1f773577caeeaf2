#!/bin/bash
# The adapter for `sbx run`: runs the probe as the builder and prints its output.
#
#   sbx_adapter.sh [--mode lix|fast] [--build-user] [--uid-range] [--rootless] SBX PROBE
#
# --build-user  build user 30001/30000 (one id; with --uid-range 65536 ids from 30001)
# --rootless    sbx run by the unprivileged user nobody (65534), without a build user
#
# The sandbox root is a fresh directory holding only the probe at /probe (sbx's --root), as
# a Nix sandbox holds only the store paths it is given.
set -euo pipefail

mode=lix
ids=()
run_as=()
while (($# > 2)); do
  case $1 in
    --mode) mode=$2; shift ;;
    --build-user) ids=(--build-uid 30001 --build-gid 30000) ;;
    --uid-range) ids+=(--uid-count 65536) ;;
    --rootless) run_as=(setpriv --reuid=65534 --regid=65534 --clear-groups) ;;
    *) echo "sbx_adapter.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
(($# == 2)) || { echo "usage: $0 [--mode M] [--build-user] [--uid-range] [--rootless] SBX PROBE" >&2; exit 2; }
work=$(mktemp -d /tmp/sbx-conformance.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
install -m 0555 "$(readlink -f "$1")" "$work/sbx"
mkdir -m 0755 "$work/root"
install -m 0555 "$(readlink -f "$2")" "$work/root/probe"
if ((${#run_as[@]})); then chown 65534:65534 "$work/root"; fi
cd "$work"
"${run_as[@]}" "$work/sbx" run --mode "$mode" "${ids[@]}" --root "$work/root" -- /probe
