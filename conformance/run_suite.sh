#!/bin/bash
# One conformance test target: the probe in one implementation and configuration, held to
# expectations.tsv; also checks that the host's /etc/passwd, /etc/group, /nix and
# /usr/local (where the adapters mount things in private namespaces) are as they were.
#
#   run_suite.sh sbx MODE CONFIG SBX PROBE   sbx run --mode MODE (lix|fast)
#   run_suite.sh nix CONFIG PROBE            Debian's nix-build (none|user|rootless)
#   run_suite.sh no-sandbox PROBE            the probe run directly: must fail on the
#                                            observables a missing sandbox gets wrong
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
suite=(/usr/bin/python3 -B "$here/conformance.py")
if [[ -n ${TEST_UNDECLARED_OUTPUTS_DIR:-} ]]; then
  suite+=(--json "$TEST_UNDECLARED_OUTPUTS_DIR/conformance.json")
fi

host_state() {
  md5sum /etc/passwd /etc/group
  if [[ -e /nix ]]; then find /nix -maxdepth 3 -printf '%p %m %u %g\n' | sort; else echo "no /nix"; fi
  find /usr/local -maxdepth 1 -printf '%p %m %u %g\n' 2>&1 | sort
}

# run_checked COMMAND...: runs it, then fails if the host changed.
run_checked() {
  local before status=0
  before=$(host_state)
  "$@" || status=$?
  if [[ $(host_state) != "$before" ]]; then
    echo "FAIL: the host's /etc/passwd, /etc/group, /nix or /usr/local changed:"
    diff <(echo "$before") <(host_state) || true
    exit 1
  fi
  echo "host's /etc/passwd, /etc/group, /nix and /usr/local unchanged"
  exit "$status"
}

kind=$1
shift
case $kind in
  sbx)
    mode=$1 config=$2 sbx=$3 probe=$4
    flags=(--mode "$mode")
    caller=0:0
    case $config in
      user) flags+=(--build-user) ;;
      range) flags+=(--build-user --uid-range) ;;
      rootless) flags+=(--rootless) caller=65534:65534 ;;
    esac
    run_checked "${suite[@]}" --probe "$probe" --family spec --config "$config" \
      --caller "$caller" \
      --impl "sbx-$mode-$config=$here/sbx_adapter.sh ${flags[*]} $(readlink -f "$sbx") {probe}"
    ;;
  nix)
    config=$1 probe=$2
    caller=0:0
    case $config in
      none) flags=(--no-build-user) ;;
      user) flags=(--build-user) ;;
      rootless) flags=(--rootless) caller=30100:30100 ;;
    esac
    run_checked "${suite[@]}" --probe "$probe" --family nix --config "$config" \
      --caller "$caller" --impl "nix-$config=$here/nix_adapter.sh ${flags[*]} {probe}"
    ;;
  no-sandbox)
    probe=$1
    exec "${suite[@]}" --probe "$probe" --family spec --config none --caller 0:0 \
      --expect-fail uid,uid_map,gid_map,etc.passwd,etc.group,hostname,pid,net.interfaces,cwd,fds,status.NoNewPrivs,status.Seccomp,status.CapEff,chmod.setuid \
      --impl "no-sandbox={probe}"
    ;;
  *) echo "run_suite.sh: unknown kind $kind" >&2; exit 2 ;;
esac
