#!/usr/bin/env python3
"""Makes the checked-in baseline from a run: bench/baseline.json (the run's summary.json
plus the tolerances in force and where the numbers came from) and bench/baseline/*.json
(the run's Google Benchmark JSON, for compare.py's per-benchmark view). Refresh it after
a change that moves the ratios on purpose, from a full run on the reference machine."""

import argparse
import datetime
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_summary  # noqa: E402


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("run_dir", help="the run's output directory (out/bench)")
    parser.add_argument("--out", default=os.path.join(here, "baseline.json"))
    parser.add_argument("--note", default="", help="where and how the run was made")
    args = parser.parse_args()

    with open(os.path.join(args.run_dir, "summary.json")) as f:
        summary = json.load(f)
    if summary.get("quick"):
        raise SystemExit("update_baseline: make the baseline from a full run, not --quick")
    summary["tolerances"] = dict(compare_summary.CHECKED)
    summary["baseline_made"] = {"date": datetime.date.today().isoformat(), "note": args.note}
    with open(args.out, "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")

    bench_dir = os.path.splitext(args.out)[0]
    os.makedirs(bench_dir, exist_ok=True)
    for old in glob.glob(os.path.join(bench_dir, "*.json")):
        os.remove(old)
    for path in glob.glob(os.path.join(args.run_dir, "*.json")):
        name = os.path.basename(path)
        if name in ("summary.json", "end_to_end.json"):
            continue
        # One benchmark per line, without the counters (compare.py reads only the times):
        # a fraction of Google Benchmark's own output, still diffable.
        with open(path) as f:
            data = json.load(f)
        for b in data["benchmarks"]:
            for counter in [k for k in b if k.endswith("_us") or k.endswith("_per_s") or
                            k == "parent_rss_mib"]:
                del b[counter]
        with open(os.path.join(bench_dir, name), "w") as f:
            f.write('{"context": %s,\n "benchmarks": [\n' % json.dumps(data["context"]))
            f.write(",\n".join(json.dumps(b) for b in data["benchmarks"]))
            f.write("\n]}\n")
    print("update_baseline: wrote %s and %s/" % (args.out, bench_dir), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
