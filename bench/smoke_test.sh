#!/usr/bin/env bash
# Runs the benchmark binary for a moment on a few benchmarks of every family and checks that
# each one ran and reported a latency: catches a crash, a start that fails, a churn thread
# that does not stop. Needs root and user namespaces; says SKIPPED (and passes) without them.
set -euo pipefail

bench="$1"
python="${PYTHON:-/usr/bin/python3}"
out="${TEST_TMPDIR:-$(mktemp -d)}/smoke.json"

if [[ "$(id -u)" != 0 ]]; then
  echo "SKIPPED: the benchmarks need root (running as uid $(id -u))"
  exit 0
fi
if ! unshare --user true 2>/dev/null; then
  echo "SKIPPED: user namespaces are not available here"
  exit 0
fi

wanted=(flags/floor/seed flags/floor/user flags/lix/seed flags/fast/seed churn/floor/on
  parent_rss/floor/16 threads/floor/threads:2)
filter='^(flags/(floor|lix|fast)/(seed|user)|churn/floor/on|parent_rss/floor/16|threads/floor/manual_time/threads:2)(/|$)'
timeout 120 "$bench" --benchmark_filter="$filter" --benchmark_min_time=0.01 \
  --benchmark_out="$out" --benchmark_out_format=json

"$python" - "$out" "${wanted[@]}" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
seen, bad = {}, []
for b in data["benchmarks"]:
    name = b["run_name"].replace("/manual_time", "")
    seen[name] = b
    if b.get("error_occurred"):
        bad.append("%s: %s" % (name, b.get("error_message")))
    elif not b.get("latency_us", 0) > 0:
        bad.append("%s: no latency reported" % name)
for want in sys.argv[2:]:
    if want not in seen:
        bad.append("%s: did not run" % want)
for line in bad:
    print("FAIL " + line)
print("%d passed, %d failed" % (len(sys.argv) - 2 - len(bad), len(bad)))
sys.exit(1 if bad else 0)
PY
