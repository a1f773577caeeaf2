#!/usr/bin/env bash
# OSS-Fuzz / ClusterFuzzLite build script: compiles each fuzz target with the engine and
# sanitizer flags the infrastructure passes in ($CXX, $CXXFLAGS, $LIB_FUZZING_ENGINE) and
# puts it in $OUT beside NAME_seed_corpus.zip, NAME.dict and NAME.options (package.sh, the
# same step the Bazel rule NAME_oss_fuzz runs). The builder image has no Debian Bazel
# workspace, so the sources are compiled directly; //fuzz:oss_fuzz_build_test runs this
# script here with plain clang to keep it from rotting.
#
# Left out: id_map_kernel (needs root in the initial user namespace, which fuzzing bots do
# not give) and id_map_planted (crashes by design).
set -euo pipefail

root=${SBX_SRC:-$PWD}
[[ -f $root/fuzz/oss-fuzz/build.sh ]] || { echo "run from the repository root" >&2; exit 1; }
cd "$root"
: "${CXX:?}" "${OUT:?}" "${LIB_FUZZING_ENGINE:?}"
CXXFLAGS=${CXXFLAGS:-}

# Library sources each target links besides fuzz/NAME/NAME_fuzzer.cc.
declare -A deps=(
  [pid_line]="sandbox/rules/pid_line.cc"
  [id_map]="sandbox/rules/id_map.cc sandbox/rules/id_map_kernel_rules.cc fuzz/id_map/id_map_properties.cc"
  [passwd_group]="sandbox/rules/id_map.cc sandbox/rules/id_map_kernel_rules.cc sandbox/rules/identity.cc sandbox/rules/passwd.cc"
  [sbx_args]="sandbox/cli/sbx_args.cc"
)

work=${WORK:-$(mktemp -d)}/sbx-objects
mkdir -p "$work" "$OUT"
compile() {
  local object=$work/${1//\//_}.o
  # shellcheck disable=SC2086 # CXXFLAGS is a flag list
  [[ -f $object ]] || $CXX $CXXFLAGS -std=c++20 -I"$root" -c "$1" -o "$object"
  echo "$object"
}

for name in $(printf '%s\n' "${!deps[@]}" | sort); do
  objects=()
  for source in "fuzz/$name/${name}_fuzzer.cc" ${deps[$name]}; do
    objects+=("$(compile "$source")")
  done
  # shellcheck disable=SC2086 # LIB_FUZZING_ENGINE and CXXFLAGS are flag lists
  $CXX $CXXFLAGS "${objects[@]}" $LIB_FUZZING_ENGINE -o "$OUT/$name"
  fuzz/oss-fuzz/package.sh --name "$name" --out "$OUT" --dict "fuzz/$name/$name.dict" \
    --options "fuzz/$name/$name.options" "fuzz/$name/corpus/"*
done
