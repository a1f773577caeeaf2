#!/bin/sh
# In a test VM (busybox sh; as root or as the rootless user): runs the probe as the builder
# of `sbx run`, both modes, in each configuration this user has, and prints each output
# between marker lines. vm_suite.sh, on the host, judges them against expectations.tsv
# (the guest has no Python and no Nix).
#
#   vm_collect.sh SBX PROBE     (paths relative to the runfiles)
set -u
sbx=$(readlink -f "$1")
probe=$(readlink -f "$2")
status=0

# run NAME CONFIG CALLER BUILD-IDS SBX-ARGS...
run() {
  name=$1 config=$2 caller=$3 build_ids=$4
  shift 4
  root=$(mktemp -d /tmp/sbx-conformance.XXXXXX)
  chmod 0755 "$root"
  cp "$probe" "$root/probe"
  chmod 0555 "$root/probe"
  echo "conformance-vm: BEGIN $name $config $caller $build_ids"
  # fd 9 open, as conformance.py gives every adapter: no sandbox may pass it on.
  "$sbx" run "$@" --root "$root" -- /probe 2>&1 9</dev/null || echo "conformance-vm: EXIT $?"
  echo "conformance-vm: END $name"
  rm -rf "$root"
}

for mode in lix fast; do
  if [ "$(id -u)" = 0 ]; then
    run "sbx-$mode-none-vm" none 0:0 - --mode "$mode"
    run "sbx-$mode-user-vm" user 0:0 30001:30000 --mode "$mode" --build-uid 30001 \
      --build-gid 30000
    run "sbx-$mode-range-vm" range 0:0 30001:30000 --mode "$mode" --build-uid 30001 \
      --build-gid 30000 --uid-count 65536
  else
    caller="$(id -u):$(id -g)"
    run "sbx-$mode-rootless-vm" rootless "$caller" - --mode "$mode"
    # The guest's rootless user owns 100000:65536 in /etc/subuid and /etc/subgid: sbx maps
    # them with newuidmap and newgidmap.
    run "sbx-$mode-rootless-range-vm" range "$caller" 100000:100000 --mode "$mode" \
      --build-uid 100000 --build-gid 100000 --uid-count 65536
  fi
done
exit "$status"
