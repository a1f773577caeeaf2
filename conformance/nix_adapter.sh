#!/bin/bash
# The adapter for a real Nix sandbox (Debian's nix-bin): builds a derivation whose builder
# runs the probe, and prints the probe's output.
#
#   nix_adapter.sh [--build-user | --no-build-user] [--rootless] PROBE
#
# --build-user     (default) nixbld1, uid 30001 in group nixbld 30000: Nix as a root daemon
# --no-build-user  build-users-group "": the builder's host ids are the caller's
# --rootless       Nix run by an unprivileged user (uid 30100) owning the store: a
#                  single-user install; implies no build user
#
# Another Nix or Lix (a developer's own build): SBX_NIX_BUILD=/path/to/nix-build and, for
# its extra options, SBX_NIX_OPTIONS="--option NAME VALUE ...".
#
# Nix runs inside private_nix.sh (a private mount namespace with its own /nix and users), so
# the host is left as it was. The builder is busybox's sh, as in a Nix sandbox without a
# store closure, and it execs the probe with stdout to $out. Never `exec 2>` here: Nix 2.8
# ends a build when the builder's stderr closes. A nonce defeats Nix's cache.
set -euo pipefail

here=$(dirname "$(readlink -f "$0")")
build_users_group=nixbld
owner=0:0
run_as=()
while (($# > 1)); do
  case $1 in
    --build-user) build_users_group=nixbld ;;
    --no-build-user) build_users_group="" ;;
    --rootless) build_users_group="" owner=30100:30100
      run_as=(setpriv --reuid=30100 --regid=30100 --clear-groups --inh-caps=-all) ;;
    *) echo "nix_adapter.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
(($# == 1)) || { echo "usage: $0 [--build-user|--no-build-user] [--rootless] PROBE" >&2; exit 2; }
probe=$(readlink -f "$1")
[[ -x $probe ]] || { echo "nix_adapter.sh: no probe at $1" >&2; exit 2; }
nix_build=${SBX_NIX_BUILD:-nix-build}
command -v "$nix_build" >/dev/null || { echo "nix_adapter.sh: $nix_build not found (Debian package nix-bin)" >&2; exit 2; }

# Runs inside private_nix.sh: the derivation, the build, the output.
build_script='
set -eu
tmp=$(mktemp -d /nix/tmp.XXXXXX)
cat >"$tmp/probe.nix" <<EOF
derivation {
  name = "conformance-probe";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "exec /probe >\$out" ];
  nonce = "$NONCE";
}
EOF
out=$(HOME=$tmp NIX_CONF_DIR=$tmp "$NIX_BUILD" "$tmp/probe.nix" --no-out-link --quiet $NIX_OPTIONS \
  --option sandbox true --option sandbox-fallback false \
  --option sandbox-paths "/bin/sh=/bin/busybox /probe=$PROBE" \
  --option substituters "" --option build-users-group "$BUILD_USERS_GROUP")
cat "$out"
'
# A copy any user can read: the probe may sit below a directory only root may enter.
copy=$(mktemp -d /tmp/sbx-nix-probe.XXXXXX)
trap 'rm -rf "$copy"' EXIT
chmod 0755 "$copy"
install -m 0555 "$probe" "$copy/probe"
# Nix's TMPDIR, where it makes the build dir: on /tmp, as the sbx adapter's.
mkdir -m 0711 "$copy/caller-tmp"  # a build user may pass through, as through /tmp
chown "$owner" "$copy/caller-tmp"
nonce="$(date +%s%N)-$$-$RANDOM"
"$here/private_nix.sh" --owner "$owner" -- env -u NIX_REMOTE USER=conformance NONCE="$nonce" \
  TMPDIR="$copy/caller-tmp" NIX_BUILD="$(command -v "$nix_build")" NIX_OPTIONS="${SBX_NIX_OPTIONS:-}" \
  PROBE="$copy/probe" BUILD_USERS_GROUP="$build_users_group" "${run_as[@]}" /bin/sh -c "$build_script"
