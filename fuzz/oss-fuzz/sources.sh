#!/usr/bin/env bash
# Keeps fuzz/oss-fuzz/sources.txt (read by build.sh, which has no Bazel) equal to the list
# generated from the Bazel graph (//fuzz:oss_fuzz_sources, fuzz/oss_fuzz.bzl).
#
# Usage: sources.sh check GENERATED CHECKED_IN UPDATE_LABEL   (//fuzz:oss_fuzz_sources_test)
#        sources.sh update GENERATED CHECKED_IN   (bazel run //fuzz:update_oss_fuzz_sources)
set -euo pipefail

case ${1:-} in
  check)
    (($# == 4)) || { echo "usage: sources.sh check GENERATED CHECKED_IN UPDATE_LABEL" >&2; exit 2; }
    if ! diff -u --label "$3 (checked in)" --label "$3 (from the Bazel graph)" "$3" "$2"; then
      echo "FAIL: $3 is not the OSS-Fuzz source list the Bazel graph gives (diff above)." >&2
      echo "Regenerate it with:  bazel run $4" >&2
      exit 1
    fi
    echo "PASS: $3 matches the Bazel graph"
    ;;
  update)
    (($# == 3)) || { echo "usage: sources.sh update GENERATED CHECKED_IN" >&2; exit 2; }
    [[ -n ${BUILD_WORKSPACE_DIRECTORY:-} ]] || { echo "run with bazel run" >&2; exit 2; }
    # cat, not cp: the copy keeps the checked-in file's mode, not Bazel's read-only one.
    cat "$2" >"$BUILD_WORKSPACE_DIRECTORY/$3"
    echo "wrote $3"
    ;;
  *)
    echo "usage: sources.sh check|update ..." >&2
    exit 2
    ;;
esac
