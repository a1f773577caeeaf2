#!/usr/bin/env python3
"""Makes the checked-in baseline, informational history (compare_summary.py; no verdict is
taken from it), from several runs of the unchanged tree, made at different times:
bench/baseline.json (the first run's summary.json, plus the samples of every checked
ratio from each run under "samples_by_run", the minimum effects in force and where the
numbers came from) and bench/baseline/*.json (the first run's Google Benchmark JSON, for
compare.py's per-benchmark view). The check compares a run with the baseline run in which
the ratio was highest, so the runs should span the machine's usual load. Refresh it after a
change that moves the ratios on purpose, on the reference machine."""

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
    parser.add_argument("run_dirs", nargs="+", metavar="run_dir",
                        help="a run's output directory (out/bench)")
    parser.add_argument("--out", default=os.path.join(here, "baseline.json"))
    parser.add_argument("--note", default="", help="where and how the run was made")
    args = parser.parse_args()

    summaries = []
    for run_dir in args.run_dirs:
        with open(os.path.join(run_dir, "summary.json")) as f:
            summaries.append(json.load(f))
        if "samples" not in summaries[-1]:
            raise SystemExit("update_baseline: %s has no samples: summarize it again" % run_dir)
    summary = summaries[0]
    summary["samples_by_run"] = [{path: s["samples"].get(path, [])
                                  for path in compare_summary.MIN_EFFECT} for s in summaries]
    summary["samples"] = {path: [v for s in summaries for v in s["samples"].get(path, [])]
                          for path in compare_summary.MIN_EFFECT}
    summary["min_effects"] = dict(compare_summary.MIN_EFFECT)
    summary["baseline_made"] = {"date": datetime.date.today().isoformat(), "note": args.note,
                                "runs": len(summaries),
                                "quick_runs": sum(1 for s in summaries if s.get("quick"))}
    run_dir = args.run_dirs[0]
    with open(args.out, "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")

    bench_dir = os.path.splitext(args.out)[0]
    os.makedirs(bench_dir, exist_ok=True)
    for old in glob.glob(os.path.join(bench_dir, "*.json")):
        os.remove(old)
    for path in glob.glob(os.path.join(run_dir, "*.json")):
        name = os.path.basename(path)
        if name in ("summary.json", "end_to_end.json", "compare.json"):
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
