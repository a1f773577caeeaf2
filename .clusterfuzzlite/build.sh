#!/usr/bin/env bash
# ClusterFuzzLite runs this from $SRC/sbx; the real script is shared with OSS-Fuzz.
set -euo pipefail
exec fuzz/oss-fuzz/build.sh
