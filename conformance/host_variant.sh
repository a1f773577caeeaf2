#!/bin/bash
# Runs CMD on a variant of this host, made in a private mount namespace (the host itself is
# never changed): a copy of / (host_copy.sh) with one difference, as CI hosts differ.
#
#   host_variant.sh VARIANT -- CMD...
#
#   kvm-open       /dev/kvm present, mode 0666 (a node made here: Nix and sbx decide by the
#                  path and its access bits, so every caller gets it)
#   no-kvm         no /dev/kvm
#   nix-installed  a /nix as a Nix install leaves it (store, db, daemon socket dir)
#   tmp-tmpfs      /tmp a nosuid,nodev tmpfs (many distributions' default)
#   usr-own-mount  /usr a file system of its own (an overlay of the host's, read-only), as
#                  on hosts with a /usr partition
#   cgroup-v1      cgroup v1 only (a named hierarchy), whatever the host has
#   cgroup-hybrid  v1 and a cgroup2 on /sys/fs/cgroup/unified (systemd's hybrid layout)
#   cgroup-v2      a cgroup v2 hierarchy on /sys/fs/cgroup
set -euo pipefail
self=$(readlink -f "$0")
source "$(dirname "$self")/host_copy.sh"
VARIANTS="kvm-open no-kvm nix-installed tmp-tmpfs usr-own-mount cgroup-v1 cgroup-hybrid cgroup-v2"

# A copy of /dev: a tmpfs with each entry of the host's bound or copied, but kvm.
copy_dev_without_kvm() {
  local dev=$1 entry
  mount -t tmpfs -o mode=0755,nosuid sbx-variant-dev "$dev"
  for entry in /dev/* /dev/.[!.]*; do
    [[ -e $entry || -L $entry ]] || continue
    [[ $entry == /dev/kvm ]] && continue
    copy_entry "$entry" "$dev/${entry#/dev/}"
  done
  # The ptmx node finds its devpts by the directory it was opened in, which a bound node
  # breaks: a node of our own, as the host's.
  if [[ -c /dev/ptmx && ! -L /dev/ptmx ]]; then
    umount "$dev/ptmx"
    rm "$dev/ptmx"
    mknod -m "$(stat -c %a /dev/ptmx)" "$dev/ptmx" c 5 2
  fi
}

if [[ ${1:-} != --inside ]]; then
  variant=${1:-}
  [[ " $VARIANTS " == *" $variant "* && ${2:-} == -- && $# -gt 2 ]] || {
    echo "usage: $0 VARIANT -- CMD...   (VARIANT: $VARIANTS)" >&2
    exit 2
  }
  shift 2
  work=$(mktemp -d /tmp/sbx-variant.XXXXXX)
  trap 'rmdir "$work/root" "$work"' EXIT
  mkdir "$work/root"
  status=0
  unshare --mount --propagation private "$self" --inside "$variant" "$work/root" "$@" ||
    status=$?
  exit "$status"
fi

variant=$2 new=$3
shift 3
mount -t tmpfs -o mode=0755 sbx-variant "$new"
case $variant in
  kvm-open | no-kvm)
    copy_host_root "$new" dev
    mkdir "$new/dev"
    copy_dev_without_kvm "$new/dev"
    if [[ $variant == kvm-open ]]; then
      mknod -m 0666 "$new/dev/kvm" c 10 232
    fi
    ;;
  nix-installed)
    copy_host_root "$new" nix
    mkdir -p "$new/nix/store" "$new/nix/var/nix/db" "$new/nix/var/nix/daemon-socket"
    chmod 1775 "$new/nix/store"
    ;;
  tmp-tmpfs)
    copy_host_root "$new" tmp
    mkdir "$new/tmp"
    mount -t tmpfs -o mode=1777,nosuid,nodev sbx-variant-tmp "$new/tmp"
    # What CMD is made of may lie below the host's /tmp (a checkout there): kept in view.
    for arg; do
      [[ $arg == /tmp/?* && -e $arg ]] || continue
      top=${arg#/tmp/}
      top=/tmp/${top%%/*}
      [[ -e $new$top || -L $new$top ]] || copy_entry "$top" "$new$top"
    done
    ;;
  usr-own-mount)
    copy_host_root "$new" usr
    # A read-only overlay needs two lower layers: the host's /usr over an empty one.
    mkdir "$new/usr" "$new/.empty"
    mount -t overlay -o ro,lowerdir=/usr:"$new/.empty" sbx-variant-usr "$new/usr"
    ;;
  cgroup-v1 | cgroup-hybrid)
    copy_host_root "$new"
    # In place of the host's layout (unmounted in this namespace only), a tmpfs with a v1
    # hierarchy of no controller (as name=systemd is: it can be mounted whatever
    # controllers the host bound elsewhere).
    cgroup=$new/sys/fs/cgroup
    umount -R "$cgroup"
    mount -t tmpfs -o mode=0755,nosuid,nodev,noexec sbx-variant-cgroup "$cgroup"
    mkdir "$cgroup/systemd"
    mount -t cgroup -o none,name=systemd sbx-variant-cgroup1 "$cgroup/systemd"
    if [[ $variant == cgroup-hybrid ]]; then
      mkdir "$cgroup/unified"
      mount -t cgroup2 sbx-variant-cgroup2 "$cgroup/unified"
    fi
    ;;
  cgroup-v2)
    copy_host_root "$new"
    umount -R "$new/sys/fs/cgroup"
    mount -t cgroup2 sbx-variant-cgroup2 "$new/sys/fs/cgroup"
    ;;
esac
echo "host_variant: $variant"
enter_root "$new" "$@"
