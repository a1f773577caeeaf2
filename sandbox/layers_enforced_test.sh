#!/bin/bash
# Bazel itself refuses a dependency against sandbox/layers.bzl: in a copy of the workspace,
# one probe target per pair of packages depends on the other package's library; Bazel must
# analyse exactly the allowed ones and refuse every other as "not visible".
#
# Runs a Bazel of its own (batch mode, its own output root under TEST_TMPDIR) on the copy;
# the workspace is found through the runfile links to its sources.
set -euo pipefail

layers_bzl="$(readlink -f "$1")"
workspace="$(dirname "$(dirname "$layers_bzl")")"
[[ -f "$workspace/WORKSPACE" ]] || { echo "no WORKSPACE above $layers_bzl"; exit 1; }
bazel="$(command -v bazel)" || { echo "bazel is not on PATH"; exit 1; }

copy="$TEST_TMPDIR/ws"
mkdir -p "$copy"
cp -r "$workspace/WORKSPACE" "$workspace/third_party" "$workspace/sandbox" "$copy/"
rm -f "$copy/.bazelrc"

# A library target of each package: its first cc_library.
declare -A lib
for build in "$copy"/sandbox/*/BUILD.bazel; do
  pkg="$(basename "$(dirname "$build")")"
  name="$(grep -A1 '^cc_library(' "$build" | sed -n 's/^ *name = "\([^"]*\)",/\1/p' | head -1)"
  lib[$pkg]="//sandbox/$pkg:$name"
done

# LAYERS as "user used..." lines, read with Python from the same .bzl Bazel loads.
table="$(python3 - "$copy/sandbox/layers.bzl" <<'PY'
import ast, sys
for node in ast.parse(open(sys.argv[1]).read()).body:
    if isinstance(node, ast.Assign) and node.targets[0].id == "LAYERS":
        for user, used in ast.literal_eval(node.value).items():
            print(user, *used)
PY
)"

allowed=() refused=()
while read -r user used; do
  for pkg in "${!lib[@]}"; do
    [[ "$pkg" == "$user" ]] && continue
    probe="layers_probe_uses_$pkg"
    printf '\ncc_library(name = "%s", deps = ["%s"], tags = ["manual"])\n' \
      "$probe" "${lib[$pkg]}" >> "$copy/sandbox/$user/BUILD.bazel"
    if [[ " $used " == *" $pkg "* ]]; then allowed+=("//sandbox/$user:$probe")
    else refused+=("//sandbox/$user:$probe"); fi
  done
done <<< "$table"
echo "${#allowed[@]} allowed and ${#refused[@]} refused dependencies to check"
(( ${#allowed[@]} > 0 && ${#refused[@]} > 0 )) || { echo "no pairs found"; exit 1; }

run_bazel() {
  (cd "$copy" && "$bazel" --batch --output_user_root="$TEST_TMPDIR/bazel-root" \
    build --nobuild --keep_going --symlink_prefix=/ --color=no --curses=no "$@" 2>&1)
}

if ! out="$(run_bazel "${allowed[@]}")"; then
  echo "FAIL: allowed dependencies were refused:"; echo "$out" | grep -E 'ERROR' | head -20
  exit 1
fi
out="$(run_bazel "${refused[@]}")" && { echo "FAIL: Bazel accepted every upward dependency"; exit 1; }
failed=0
for target in "${refused[@]}"; do
  pkg="${target##*_uses_}"
  if ! grep -q "target '${lib[$pkg]}' is not visible from target '$target'" <<< "$out"; then
    echo "FAIL: $target -> ${lib[$pkg]} was not refused as not visible"; failed=1
  fi
done
(( failed == 0 )) && echo "PASS: every dependency against the layers is refused by visibility"
exit "$failed"
