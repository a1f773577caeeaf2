#!/usr/bin/env bash
# Feeds summarize.py a synthetic run (Google Benchmark JSON with known medians) and checks
# the numbers the regression check and the docs rely on: the headline as the median over
# the four families, ratios against the floor of the same family, parent-size growth, a
# failed benchmark reported as an error and as null, the end-to-end ratios, the samples of
# each ratio the regression check compares. Runs no benchmark.
set -euo pipefail

dir="$(dirname "$0")"
summarize="${TEST_SRCDIR:-.}/${TEST_WORKSPACE:-sbx}/bench/summarize.py"
[[ -f "$summarize" ]] || summarize="$dir/summarize.py"
python="${PYTHON:-/usr/bin/python3}"
run="$(mktemp -d)"
trap 'rm -rf "$run"' EXIT

"$python" - "$run" <<'PY'
import json, os, sys
run = sys.argv[1]

def family(name, rows):
    """rows: (run_name, median latency_us) or (run_name, error message)."""
    out = []
    for run_name, value in rows:
        if isinstance(value, str):
            out.append({"name": run_name, "run_name": run_name, "run_type": "iteration",
                        "error_occurred": True, "error_message": value})
            continue
        for rep in (value * 0.9, value, value * 1.3):  # a median that the mean is not
            out.append({"name": run_name, "run_name": run_name, "run_type": "iteration",
                        "latency_us": rep, "clone_us": rep / 2,
                        "call_to_release_us": rep * 1.2})
        out.append({"name": run_name + "_median", "run_name": run_name,
                    "run_type": "aggregate", "aggregate_name": "median",
                    "latency_us": value, "clone_us": value / 2,
                    "call_to_release_us": value * 1.2})
    with open(os.path.join(run, name + ".json"), "w") as f:
        json.dump({"context": {}, "benchmarks": out}, f)

# Headline case in four families; fast/floor there: 1.5, 1.6, 1.4, 3.0 -> median 1.55.
family("flags", [("flags/floor/seed/manual_time", 500), ("flags/lix/seed/manual_time", 1000),
                 ("flags/fast/seed/manual_time", 750), ("flags/floor/net/manual_time", 400),
                 ("flags/floor_whole/seed/manual_time", 450),
                 ("flags/lix/seed_no_net/manual_time", "lix: clone failed")])
family("threads", [("threads/floor/manual_time/threads:1", 500),
                   ("threads/lix/manual_time/threads:1", 1000),
                   ("threads/fast/manual_time/threads:1", 800),
                   ("threads/fast/manual_time/threads:4", 2000)])
family("churn", [("churn/floor/off/manual_time", 500), ("churn/lix/off/manual_time", 1000),
                 ("churn/fast/off/manual_time", 700), ("churn/fast/on/manual_time", 2100)])
family("parent_rss_16", [("parent_rss/floor/16/manual_time", 400),
                         ("parent_rss/lix/16/manual_time", 800),
                         ("parent_rss/fast/16/manual_time", 1200)])
family("parent_rss_4096", [("parent_rss/floor/4096/manual_time", 500),
                           ("parent_rss/lix/4096/manual_time", 80000),
                           ("parent_rss/fast/4096/manual_time", 1320)])
# The paired family: one start-by-start ratio median per repetition, and their median.
paired = []
for impl, floor, ratios in (("fast", "floor", [1.15, 1.3, 1.12]),
                            ("fast", "floor_whole", [1.2, 1.25, 1.15])):
    name = "paired/%s/%s/manual_time" % (impl, floor)
    for i, r in enumerate(ratios):
        paired.append({"name": name, "run_name": name, "run_type": "iteration",
                       "repetition_index": i, "latency_us": 300, "pair_ratio": r})
    paired.append({"name": name + "_median", "run_name": name, "run_type": "aggregate",
                   "aggregate_name": "median", "latency_us": 300,
                   "pair_ratio": sorted(ratios)[1]})
with open(os.path.join(run, "paired.json"), "w") as f:
    json.dump({"context": {}, "benchmarks": paired}, f)
with open(os.path.join(run, "end_to_end.json"), "w") as f:
    json.dump({"commands": {"sbx_run": {"median_ms": 3.0, "samples_ms": [3.0, 4.0, 3.5]},
                            "bwrap": {"median_ms": 5.0, "samples_ms": [5.0, 4.0, 7.0]},
                            "unshare": {"median_ms": 2.0}, "crun": {"median_ms": 6.0}},
               "unavailable": {"sbx_run_lix": "exit 125"}}, f)
PY

"$python" "$summarize" "$run"

"$python" - "$run/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
checks = [
    # median of the four headline latencies: floor all 500/400 -> 500
    ("clone_to_release_us.floor", 500),
    ("clone_to_release_us.fast", 775),        # median of 750, 800, 700, 1200
    ("ratios.fast_over_floor", 1.55),         # median of 1.5, 1.6, 1.4, 3.0
    ("ratios.lix_over_floor", 2.0),           # 2, 2, 2, 2
    ("ratios.fast_over_lix_at_4gib", 1320 / 80000),
    ("rss_growth.fast", 1.1),                 # 1320 / 1200
    ("rss_growth.lix", 100.0),
    ("rss_growth_floor_relative.fast", (1320 / 500) / (1200 / 400)),
    ("per_flag_us.floor.net", 400),
    ("per_flag_us.lix.seed_no_net", None),    # failed: null, not zero
    ("threads_us.fast.4", 2000),
    ("churn_us.fast.on", 2100),
    ("phases_us.fast.clone_us", 375),
    # The second headline: flags/seed only, against the whole-start floor.
    ("call_to_release_us.fast", 900),
    ("call_to_release_us.floor_whole", 540),
    ("ratios.fast_call_to_release_over_floor", 900 / 540),
    ("ratios.lix_call_to_release_over_floor", 1200 / 540),
    ("targets.fast_call_to_release_over_floor.met", False),
    ("paired.fast_over_floor", 1.15),
    ("targets.fast_over_floor.value", 1.15),  # the target reads the paired ratio
    ("paired.fast_call_to_release_over_floor", 1.2),
    ("paired.lix_over_floor", None),          # not run: null
    ("end_to_end_ms.sbx_run", 3.0),
    ("end_to_end_ratios.sbx_run_over_bwrap", 0.6),
    ("end_to_end_ratios.sbx_run_over_crun", 0.5),
    ("targets.sbx_run_over_bwrap.met", True),
    ("targets.fast_over_floor.met", False),
    ("targets.rss_growth_fast.met", True),
    ("targets.sbx_run_over_unshare.met", False),
]
failed = 0
for path, want in checks:
    got = s
    for part in path.split("."):
        got = got.get(part) if isinstance(got, dict) else None
    ok = got == want if want is None or isinstance(want, bool) else \
        got is not None and abs(got - want) < 1e-9 * max(1, abs(want))
    if not ok:
        print("FAIL %s = %r, want %r" % (path, got, want))
        failed += 1
if s["errors"].get("flags/lix/seed_no_net") != "lix: clone failed":
    print("FAIL the failed benchmark is not reported: %r" % s["errors"])
    failed += 1
if s["end_to_end_unavailable"].get("sbx_run_lix") != "exit 125":
    print("FAIL the unavailable peer is not reported")
    failed += 1
# One sample per repetition, repetition i over repetition i, family by family (the
# synthetic repetitions are 0.9, 1 and 1.3 times each median, so each family's ratio
# repeats three times); end to end, round by round.
samples = {
    "ratios.fast_over_floor": [1.5] * 3 + [3.0] * 3 + [1.6] * 3 + [1.4] * 3,
    "ratios.fast_call_to_release_over_floor": [750 / 450] * 3,
    "paired.fast_over_floor": [1.15, 1.3, 1.12],        # in repetition order
    "paired.fast_call_to_release_over_floor": [1.2, 1.25, 1.15],
    "paired.lix_over_floor": [],
    "rss_growth.fast": [1.1] * 3,
    "ratios.fast_over_lix_at_4gib": [1320 / 80000] * 3,
    "end_to_end_ratios.sbx_run_over_bwrap": [3.0 / 5.0, 1.0, 3.5 / 7.0],
    "end_to_end_ratios.sbx_run_over_crun": [],
}
for path, want in samples.items():
    got = s["samples"].get(path)
    if got is None or len(got) != len(want) or \
            any(abs(a - b) > 1e-9 for a, b in zip(got, want)):
        print("FAIL samples %s = %r, want %r" % (path, got, want))
        failed += 1
total = len(checks) + 2 + len(samples)
print("%d passed, %d failed" % (total - failed, failed))
sys.exit(1 if failed else 0)
PY
