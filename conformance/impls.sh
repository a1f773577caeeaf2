# Sourced by run_suite.sh and run_all.sh: the conformance.py arguments of the built-in
# implementations, appended to the array `impls`. Both run their unprivileged caller as uid
# 30100, so that the outputs of sbx and of the real Nix compare in every configuration.
#
#   add_sbx_impl MODE CONFIG SBX   sbx run --mode MODE (lix|fast), CONFIG none|user|range|rootless
#   add_nix_impl CONFIG            Debian's nix-build, CONFIG none|user|rootless
conformance_dir=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
ROOTLESS_CALLER=30100:30100

add_sbx_impl() {
  local mode=$1 config=$2 sbx flags caller=0:0
  sbx=$(readlink -f "$3")
  flags="--mode $mode"
  case $config in
    none) ;;
    user) flags+=" --build-user" ;;
    range) flags+=" --build-user --uid-range" ;;
    rootless) flags+=" --rootless" caller=$ROOTLESS_CALLER ;;
    *) echo "impls.sh: unknown configuration $config" >&2; return 2 ;;
  esac
  impls+=(--family spec --config "$config" --caller "$caller"
    --impl "sbx-$mode-$config=$conformance_dir/sbx_adapter.sh $flags $sbx {probe}")
}

add_nix_impl() {
  local config=$1 flags caller=0:0
  case $config in
    none) flags=--no-build-user ;;
    user) flags=--build-user ;;
    rootless) flags=--rootless caller=$ROOTLESS_CALLER ;;
    *) echo "impls.sh: Nix 2.8 has no configuration $config" >&2; return 2 ;;
  esac
  impls+=(--family nix --config "$config" --caller "$caller"
    --impl "nix-$config=$conformance_dir/nix_adapter.sh $flags {probe}")
}
