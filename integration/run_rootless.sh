#!/usr/bin/env bash
# Runs an integration test binary as an unprivileged user (nobody), the way a rootless
# caller runs sbx. Bazel's runfiles live under root's home, which nobody cannot read, so
# they are copied (dereferenced) to a private temporary directory first; the gtest XML is
# copied back so that Bazel shows each case.
set -euo pipefail

binary=$1
shift
if [[ $(id -u) != 0 ]]; then
  echo "run_rootless: already unprivileged (uid $(id -u)); running directly"
  exec "$binary" "$@"
fi

work=$(mktemp -d /tmp/sbx-rootless-XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -rL "$TEST_SRCDIR/." "$work/runfiles"
mkdir -p "$work/tmp" "$work/out"
chmod -R a+rX "$work"
chmod 1777 "$work/tmp" "$work/out"

rc=0
# Files Bazel names under root's home are out of reach: GoogleTest would crash writing
# TEST_PREMATURE_EXIT_FILE, so those are dropped and the rest pointed into $work.
(cd "$work/runfiles/$TEST_WORKSPACE" &&
  env -u TEST_PREMATURE_EXIT_FILE -u TEST_WARNINGS_OUTPUT_FILE -u TEST_UNDECLARED_OUTPUTS_DIR \
    -u TEST_UNDECLARED_OUTPUTS_ANNOTATIONS_DIR -u TEST_INFRASTRUCTURE_FAILURE_FILE \
    -u GTEST_SHARD_STATUS_FILE -u TEST_UNUSED_RUNFILES_LOG_FILE \
    TEST_SRCDIR="$work/runfiles" TEST_TMPDIR="$work/tmp" GTEST_TMP_DIR="$work/tmp" \
    HOME="$work/tmp" XML_OUTPUT_FILE="$work/out/test.xml" \
    setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$work/runfiles/$TEST_WORKSPACE/${binary#./}" "$@") || rc=$?
if [[ -n ${XML_OUTPUT_FILE:-} && -f $work/out/test.xml ]]; then
  cp "$work/out/test.xml" "$XML_OUTPUT_FILE"
fi
exit "$rc"
