#!/usr/bin/env bash
# Runs the benchmark binary for a moment on a few benchmarks of every family and checks that
# each one ran and reported a latency: catches a crash, a start that fails, a churn thread
# that does not stop. Needs root and user namespaces: without them it is a skip with its
# reason, reported to Bazel as one (a JUnit XML in $XML_OUTPUT_FILE, which Bazel keeps as
# the test's test.xml); with them, one case per benchmark checked.
set -euo pipefail

bench="$1"
python="${PYTHON:-/usr/bin/python3}"
out="${TEST_TMPDIR:-$(mktemp -d)}/smoke.json"

skip() {
  echo "SKIPPED: $1"
  if [[ -n ${XML_OUTPUT_FILE:-} ]]; then
    cat >"$XML_OUTPUT_FILE" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="1" failures="0" skipped="1">
  <testsuite name="BenchSmoke" tests="1" failures="0" skipped="1">
    <testcase name="Families" classname="BenchSmoke" status="run" result="skipped">
      <skipped message="$1"/>
    </testcase>
  </testsuite>
</testsuites>
XML
  fi
  exit 0
}

if [[ "$(id -u)" != 0 ]]; then
  skip "the benchmarks need root (running as uid $(id -u))"
fi
if ! unshare --user true 2>/dev/null; then
  skip "user namespaces are not available here (unshare --user fails)"
fi

wanted=(flags/floor/seed flags/floor/user flags/floor_whole/seed flags/lix/seed flags/fast/seed
  churn/floor/on parent_rss/floor/16 threads/floor/threads:2 paired/fast/floor
  paired/fast/floor_whole)
filter='^(flags/(floor|floor_whole|lix|fast)/(seed|user)|churn/floor/on|parent_rss/floor/16|threads/floor/manual_time/threads:2|paired/fast/floor(_whole)?)(/|$)'
timeout 120 "$bench" --benchmark_filter="$filter" --benchmark_min_time=0.01 \
  --benchmark_out="$out" --benchmark_out_format=json

"$python" - "$out" "${XML_OUTPUT_FILE:-}" "${wanted[@]}" <<'PY'
import json, sys
from xml.sax.saxutils import quoteattr
data = json.load(open(sys.argv[1]))
xml_path, wanted = sys.argv[2], sys.argv[3:]
seen, bad = {}, []
for b in data["benchmarks"]:
    name = b["run_name"].replace("/manual_time", "")
    seen[name] = b
    if b.get("error_occurred"):
        bad.append("%s: %s" % (name, b.get("error_message")))
    elif not b.get("latency_us", 0) > 0:
        bad.append("%s: no latency reported" % name)
    elif name.startswith("paired/") and not b.get("pair_ratio", 0) > 0:
        bad.append("%s: no pair ratio reported" % name)
    elif not b.get("call_to_release_us", b.get("latency_us")) >= b.get("latency_us"):
        bad.append("%s: call to release shorter than clone to release" % name)
for want in wanted:
    if want not in seen:
        bad.append("%s: did not run" % want)
for line in bad:
    print("FAIL " + line)
print("%d passed, %d failed" % (len(wanted) - len(bad), len(bad)))
if xml_path:  # one case per benchmark wanted, for Bazel's test.xml
    cases = []
    for want in wanted:
        why = [line for line in bad if line.startswith(want + ":")]
        failure = "<failure message=%s/>" % quoteattr(why[0]) if why else ""
        cases.append('    <testcase name=%s classname="BenchSmoke" status="run" '
                     'result="completed">%s</testcase>' % (quoteattr(want), failure))
    with open(xml_path, "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n'
                '  <testsuite name="BenchSmoke" tests="%d" failures="%d">\n%s\n'
                '  </testsuite>\n</testsuites>\n'
                % (len(wanted), len([c for c in cases if "<failure" in c]), "\n".join(cases)))
sys.exit(1 if bad else 0)
PY
