#!/bin/bash
# Runs CMD where a real Nix can build, without touching the host's users or /nix:
#
#   private_nix.sh [--owner UID:GID] -- CMD...
#
# CMD runs as root in a private mount namespace whose root is a fresh tmpfs holding binds of
# every top-level entry of the host's /, plus
#   /nix          an empty temporary directory (owned by --owner when given, for a
#                 single-user Nix run by that user),
#   /etc/passwd   a copy of the host's, plus the build user nixbld1 (uid 30001),
#   /etc/group    a copy of the host's, plus the group nixbld (gid 30000, member nixbld1).
# A new root rather than binds over /nix: the host may have no /nix to bind over, and a
# mount point must never be created on the host. A host's own /nix (Nix installed) is left
# out of the new root, never bound: its store and daemon stay untouched. host_copy.sh makes
# the new root and enters it. pivot_root rather than chroot: Nix creates
# user namespaces, which the kernel refuses to a chrooted process.
# Everything lives under one temporary directory, removed at the end.
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/host_copy.sh"

BUILD_USER_LINE='nixbld1:x:30001:30000:Nix build user 1:/var/empty:/noshell'
BUILD_GROUP_LINE='nixbld:x:30000:nixbld1'

if [[ ${1:-} != --inside ]]; then
  owner=0:0
  if [[ ${1:-} == --owner ]]; then owner=$2; shift 2; fi
  [[ ${1:-} == -- ]] && shift
  (($#)) || { echo "usage: $0 [--owner UID:GID] -- CMD..." >&2; exit 2; }
  work=$(mktemp -d /tmp/sbx-private-nix.XXXXXX)
  trap 'rm -rf --one-file-system "$work"' EXIT
  status=0
  unshare --mount --propagation private "$0" --inside "$work" "$owner" "$@" || status=$?
  exit "$status"
fi

work=$2 owner=$3
shift 3
new=$work/root
mkdir -p "$new" "$work/nix" "$work/etc"
chown "$owner" "$work/nix"
mount -t tmpfs -o mode=0755 sbx-private-nix "$new"
# A host with Nix installed: its /nix is left out, ours replaces it.
copy_host_root "$new" nix
mkdir "$new/nix"
mount --bind "$work/nix" "$new/nix"
# A host with Nix installed has its own nixbld users, maybe with other ids: ours replace them.
{ awk '!/^nixbld[0-9]*:/' /etc/passwd; echo "$BUILD_USER_LINE"; } >"$work/etc/passwd"
{ awk '!/^nixbld:/' /etc/group; echo "$BUILD_GROUP_LINE"; } >"$work/etc/group"
mount --bind "$work/etc/passwd" "$new/etc/passwd"
mount --bind "$work/etc/group" "$new/etc/group"
enter_root "$new" "$@"
