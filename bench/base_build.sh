#!/usr/bin/env bash
# Builds the base revision of an A/B benchmark run and prints the directory that holds its
# clone_to_release_bench and sbx (the last line of stdout; progress goes to stderr).
#
#   bench/base_build.sh REF
#
# REF is any commit of this repository (HEAD, a branch, the merge base of a pull request).
# It is checked out with `git worktree add --detach` and built with Bazel in an output tree
# of its own (--output_base), with the same flags as the change: --config=bench plus
# BENCH_BUILD_FLAGS. The binaries are kept by commit and flags under SBX_BENCH_CACHE
# (default ~/.cache/sbx-bench/COMMIT/FLAGS/), so the next run with the same base builds
# nothing. The worktree and its output tree are removed after the build; the compiled
# actions stay in a disk cache shared by every base (SBX_BENCH_CACHE/disk-cache), so a new
# base recompiles only what differs. `rm -rf ~/.cache/sbx-bench` clears it all.
# Env: BAZEL (default bazel), BENCH_BUILD_FLAGS, SBX_BENCH_CACHE.
set -euo pipefail

BAZEL="${BAZEL:-bazel}"
ref="${1:?usage: bench/base_build.sh REF}"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
log() { echo "bench: $*" >&2; }

commit="$(git rev-parse --verify --quiet "$ref^{commit}")" || {
  echo "bench: no such commit in this repository: $ref (a CI job needs the base's history:" \
    "fetch-depth 0, GIT_DEPTH 0 or git fetch)" >&2
  exit 2
}
cache="${SBX_BENCH_CACHE:-$HOME/.cache/sbx-bench}"
build_flags=(--config=bench)
# shellcheck disable=SC2206  # word splitting wanted: a list of flags
build_flags+=(${BENCH_BUILD_FLAGS:-})
# The flags are part of the key: an injected cost or another config is another build.
flags_key="$(printf '%s\n' "${build_flags[@]}" | sha256sum | cut -c1-12)"
dest="$cache/$commit/$flags_key"
if [[ -x "$dest/clone_to_release_bench" && -x "$dest/sbx" ]]; then
  log "base ${commit:0:12}: cached build in $dest"
  echo "$dest"
  exit 0
fi

src="$cache/$commit/src"
output_base="$cache/$commit/bazel"
mkdir -p "$cache/disk-cache"
git worktree prune
if [[ ! -d "$src" ]]; then
  log "base ${commit:0:12}: git worktree add --detach $src"
  git worktree add --quiet --detach "$src" "$commit"
fi
log "base ${commit:0:12}: building with ${build_flags[*]} (output base $output_base)"
(
  cd "$src"
  "$BAZEL" --output_base="$output_base" build "${build_flags[@]}" \
    --disk_cache="$cache/disk-cache" //bench:clone_to_release_bench //sandbox:sbx
  bin="$("$BAZEL" --output_base="$output_base" info "${build_flags[@]}" bazel-bin 2>/dev/null)"
  mkdir -p "$dest.tmp"
  cp "$bin/bench/clone_to_release_bench" "$bin/sandbox/sbx" "$dest.tmp/"
  # The build's Bazel server and output tree are not needed again: the binaries are kept.
  "$BAZEL" --output_base="$output_base" clean --expunge 2>/dev/null
)
rm -rf "$dest" && mv "$dest.tmp" "$dest"
git worktree remove --force "$src"
log "base ${commit:0:12}: built into $dest"
echo "$dest"
