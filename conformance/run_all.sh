#!/usr/bin/env bash
# `./harness conformance`: the probe in every implementation this machine has, in every
# configuration each supports, held to conformance/expectations.tsv; prints the matrix and
# writes out/conformance/results.json. Exit status 1 if any implementation disagrees.
#
#   conformance/run_all.sh [--only-given] [--family nix|spec] [--config C] [--caller U:G]
#                          [--impl 'NAME=COMMAND {probe}']...
#
# Built in: sbx run (lix and fast; configurations none, user, range, rootless) and, when
# nix-build is installed (Debian's nix-bin), a real Nix (none, user, rootless), the oracle
# of its configuration: sbx must show what it showed, wherever the table does not explain a
# difference. --impl adds
# your own sandbox; --family, --config and --caller before it say how to judge it (see
# docs/conformance.md). --only-given runs only the --impl ones.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
read -ra bazel <<<"${BAZEL:-bazel}"

given=()
builtin=1
while (($#)); do
  case $1 in
    --only-given) builtin=0 ;;
    --family | --config | --caller | --impl) given+=("$1" "${2:?$1 needs a value}"); shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "conformance: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

"${bazel[@]}" build --color=no --curses=no //sandbox:sbx //conformance:probe 2>&1 | tail -1
bin=$("${bazel[@]}" info bazel-bin 2>/dev/null)
sbx=$bin/sandbox/sbx probe=$bin/conformance/probe
impls=()
oracles=()
if ((builtin)); then
  source conformance/impls.sh
  have_nix=0
  if command -v nix-build >/dev/null; then
    have_nix=1
  else
    echo "conformance: nix-build not found (Debian package nix-bin): no real Nix in the matrix"
  fi
  for config in none user range rootless; do
    if ((have_nix)) && [[ $config != range ]]; then
      add_nix_impl "$config"
      oracles+=(--oracle "nix-$config")
    fi
    add_sbx_impl lix "$config" "$sbx"
    add_sbx_impl fast "$config" "$sbx"
  done
fi
((${#impls[@]} + ${#given[@]})) || { echo "conformance: no implementation to run" >&2; exit 2; }

mkdir -p out/conformance
source conformance/host_state.sh
before=$(host_state)
set +e
/usr/bin/python3 -B conformance/conformance.py --probe "$probe" \
  --json out/conformance/results.json "${oracles[@]}" "${impls[@]}" --family spec --config none \
  --caller "$(id -u):$(id -g)" "${given[@]}" | grep -v '^conformance-results: '
status=${PIPESTATUS[0]}
set -e
if [[ $(host_state) != "$before" ]]; then
  echo "conformance: FAIL: the host's /etc/passwd, /etc/group, /etc/hosts, /nix or /usr/local changed" >&2
  status=1
fi
exit "$status"
