#!/bin/sh
# In a test VM, as root (busybox sh): runs the probe as the builder of `sbx run`, both
# modes, as root (no build user, a build user, 65536 ids) and as the guest's rootless user
# `sbx` (no build user, and 65536 ids from its /etc/subuid range through newuidmap), and
# prints each output between marker lines, after the guest's facts (probe --host-facts).
# vm_suite.sh, on the host, judges them against expectations.tsv filled with the guest's
# facts (the guest has no Python and no Nix).
#
#   vm_collect.sh SBX PROBE     (paths relative to the runfiles)
set -u
sbx=$(readlink -f "$1")
probe=$(readlink -f "$2")
[ -x "$sbx" ] && [ -x "$probe" ] || { echo "vm_collect: no sbx or probe at $1, $2"; exit 1; }

# sbx binds the guest's /usr read-only into its root: the probe reaches the builder there,
# on a submount (the guest is ours to change).
mkdir -p /usr/local
mount -t tmpfs -o mode=0755 conformance /usr/local
mkdir /usr/local/bin
cp "$probe" /usr/local/bin/conformance-probe
chmod 0555 /usr/local/bin/conformance-probe

# run NAME CONFIG BUILD-IDS AS SBX-ARGS...   (AS: root or rootless)
run() {
  name=$1 config=$2 build_ids=$3 as=$4
  shift 4
  if [ "$as" = rootless ]; then
    caller="$(id -u sbx):$(id -g sbx)"
  else
    caller=0:0
  fi
  echo "conformance-vm: BEGIN $name $config $caller $build_ids"
  # fd 9 open, as conformance.py gives every adapter: no sandbox may pass it on.
  if [ "$as" = rootless ]; then
    # One command string: busybox su takes options anywhere. The words are plain.
    (cd / && su -m -s /bin/sh sbx -c \
      "$sbx run $* -- /usr/local/bin/conformance-probe 2>&1 9</dev/null") ||
      echo "conformance-vm: EXIT $?"
  else
    (cd / && "$sbx" run "$@" -- /usr/local/bin/conformance-probe 2>&1 9</dev/null) ||
      echo "conformance-vm: EXIT $?"
  fi
  echo "conformance-vm: END $name"
}

# The guest's own facts (its kernel's capabilities, its /dev, its mounts), outside any
# sandbox: the table is filled from them, not from the host's.
echo "conformance-vm: BEGIN host-facts"
"$probe" --host-facts
echo "conformance-vm: END host-facts"

for mode in lix fast; do
  run "sbx-$mode-none-vm" none - root --mode "$mode"
  run "sbx-$mode-user-vm" user 30001:30000 root --mode "$mode" --build-uid 30001 \
    --build-gid 30000
  run "sbx-$mode-range-vm" range 30001:30000 root --mode "$mode" --build-uid 30001 \
    --build-gid 30000 --uid-count 65536
  run "sbx-$mode-rootless-vm" rootless - rootless --mode "$mode"
  run "sbx-$mode-rootless-range-vm" range 100000:100000 rootless --mode "$mode" \
    --build-uid 100000 --build-gid 100000 --uid-count 65536
done
