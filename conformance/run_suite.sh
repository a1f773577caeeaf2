#!/bin/bash
# One conformance test target: the probe in sbx (and the real Nix), held to expectations.tsv
# with the facts of this host; also checks that the host's /etc/passwd, /etc/group, /nix
# and /usr/local (where the adapters mount things in private namespaces) are as they were.
#
#   run_suite.sh same-host SBX PROBE CONFIG...
#                                             Debian's Nix and sbx run (lix and fast) in each
#                                             CONFIG (none|user|rootless), in this run; Nix
#                                             is the oracle sbx must match where the table
#                                             does not explain a difference
#   run_suite.sh sbx MODE CONFIG SBX PROBE    sbx run --mode MODE alone (CONFIG range: Nix
#                                             2.8 has no uid ranges)
#   run_suite.sh no-sandbox PROBE             the probe run directly: must fail on the
#                                             observables a missing sandbox gets wrong
#   run_suite.sh variant VARIANT SBX PROBE CONFIG...
#                                             same-host, on a host variant (host_variant.sh)
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
source "$here/impls.sh"
suite=(/usr/bin/python3 -B "$here/conformance.py")
if [[ -n ${TEST_UNDECLARED_OUTPUTS_DIR:-} ]]; then
  suite+=(--json "$TEST_UNDECLARED_OUTPUTS_DIR/conformance.json")
fi

source "$here/host_state.sh"

# run_checked COMMAND...: runs it, then fails if the host changed or something was left.
run_checked() {
  local before status=0
  before=$(host_state)
  "$@" || status=$?
  if [[ $(host_state) != "$before" ]]; then
    echo "FAIL: the host's /etc/passwd, /etc/group, /etc/hosts, /nix or /usr/local changed:"
    diff <(echo "$before") <(host_state) || :
    exit 1
  fi
  echo "host's /etc/passwd, /etc/group, /etc/hosts, /nix and /usr/local unchanged"
  exit "$status"
}

kind=$1
shift
impls=()
case $kind in
  same-host)
    sbx=$1 probe=$2
    shift 2
    oracles=()
    for config; do
      add_nix_impl "$config"
      oracles+=(--oracle "nix-$config")
      add_sbx_impl lix "$config" "$sbx"
      add_sbx_impl fast "$config" "$sbx"
    done
    run_checked "${suite[@]}" --probe "$probe" "${oracles[@]}" "${impls[@]}"
    ;;
  sbx)
    mode=$1 config=$2 sbx=$3 probe=$4
    add_sbx_impl "$mode" "$config" "$sbx"
    run_checked "${suite[@]}" --probe "$probe" "${impls[@]}"
    ;;
  variant)
    variant=$1 sbx=$2 probe=$3
    shift 3
    run_checked "$here/host_variant.sh" "$variant" -- "$(readlink -f "$0")" same-host \
      "$(readlink -f "$sbx")" "$(readlink -f "$probe")" "$@"
    ;;
  no-sandbox)
    probe=$1
    exec "${suite[@]}" --probe "$probe" --family spec --config none --caller 0:0 \
      --expect-fail uid,uid_map,gid_map,etc.passwd,etc.group,hostname,pid,net.interfaces,cwd,fds,status.NoNewPrivs,status.Seccomp,status.CapEff,chmod.setuid \
      --impl "no-sandbox={probe}"
    ;;
  *) echo "run_suite.sh: unknown kind $kind" >&2; exit 2 ;;
esac
