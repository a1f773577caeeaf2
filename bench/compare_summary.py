#!/usr/bin/env python3
"""History, informational: compares the ratios of a run (summary.json) with numbers recorded
earlier (bench/baseline.json, three runs on the 2-CPU development VM), from their samples:
one value per repetition (per round, end to end), which summarize.py keeps under "samples".

No run of the harness calls this any more, and its verdict is no verdict on another
machine: on a fresh machine an unchanged tree "regressed" by +237% (issue 24). Regressions
are judged by bench/ab_compare.py, against a base revision built and run beside the change.
Run this by hand to see how a run of this machine compares with what was recorded:
    bench/compare_summary.py out/bench/summary.json bench/baseline.json

Only ratios are compared, never bare times: each is taken against a floor or a peer
measured in the same run. Every checked ratio is "lower is better". A ratio is suspected
when this run is significantly above the baseline and the increase reaches the ratio's
minimum effect (bench/ratio_stats.py). A suspected ratio can be measured again (run its
families again and pass each re-run's summary.json with --rerun) and is decided by the
majority of up to three runs: two that alarm make a regression, two that do not clear it.

Exit 0: no regression; 1: regression (each named on stderr); 2: bad input; 3: a ratio is
still undecided and needs another run (its families are written to --rerun-families).
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checked_ratios  # noqa: E402
import ratio_stats  # noqa: E402

MIN_EFFECT = checked_ratios.MIN_EFFECT
FAMILIES = checked_ratios.FAMILIES
MIN_SAMPLES = 3


def samples_of(summary, path):
    values = summary.get("samples", {}).get(path) or []
    return values if len(values) >= MIN_SAMPLES else None


def baseline_samples(baseline, path):
    """The samples of the baseline run in which this ratio was highest. A baseline holds
    several runs of the unchanged tree made at different times; on a shared machine a
    ratio drifts with the load from run to run by more than its spread within a run, so a
    run is compared with the worst an unchanged tree was seen to do, not with their mix."""
    runs = [samples_of({"samples": r}, path) for r in baseline.get("samples_by_run", [])]
    runs = [r for r in runs if r]
    return max(runs, key=ratio_stats.median) if runs else samples_of(baseline, path)


def decide(path, baseline, runs):
    """One ratio: a dict with the first run's statistics, "verdict" (ok, regression,
    undecided, not compared), "reruns" (how many re-runs were used) and a note."""
    min_effect = float(baseline.get("min_effects", {}).get(path, MIN_EFFECT[path]))
    base = baseline_samples(baseline, path)
    if base is None:
        return {"ratio": path, "verdict": "not compared", "reruns": 0,
                "note": "no baseline samples"}
    results = []
    for run in runs:
        now = samples_of(run, path)
        if now is None:  # not measured counts as an alarm: a re-run may still measure it
            results.append(None)
        else:
            results.append(ratio_stats.compare(base, now, min_effect))
        verdict, note = checked_ratios.majority(
            [r is None or r["regressed"] for r in results])
        if verdict != "undecided":
            break
    first = results[0] or {"note": "not measured in this run"}
    out = {"ratio": path, "verdict": verdict, "reruns": len(results) - 1, "note": note}
    out.update(first)
    if results[0] is None:
        out["note"] = "; ".join(filter(None, ("not measured in this run", note)))
    return out


def compare(baseline, runs):
    """runs: this run's summary, then each re-run's. Returns one decision per ratio."""
    return [decide(path, baseline, runs) for path in MIN_EFFECT]


def line(d):
    """One ratio on one line: this run and the baseline with their 95% intervals, the
    change with its interval, the test's p, the minimum effect and the verdict."""
    if "current" not in d:
        return "%s: %s" % (d["ratio"], d["note"])
    pct = checked_ratios.pct
    text = ("%s = %.4g [%.4g, %.4g], baseline %.4g [%.4g, %.4g], change %s [%s, %s], "
            "p %.2g, min effect %s" % (
                d["ratio"], d["current"], d["current_ci"][0], d["current_ci"][1],
                d["baseline"], d["baseline_ci"][0], d["baseline_ci"][1], pct(d["change"]),
                pct(d["change_ci"][0]), pct(d["change_ci"][1]), d["p"], pct(d["min_effect"])))
    return text + (" (%s)" % d["note"] if d["note"] else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("summary", help="summary.json of this run")
    parser.add_argument("baseline", help="baseline summary (bench/baseline.json)")
    parser.add_argument("--rerun", action="append", default=[], metavar="SUMMARY",
                        help="summary.json of a re-run of the suspected families, in order")
    parser.add_argument("--rerun-families", metavar="FILE",
                        help="where to write the families to measure again (exit 3)")
    parser.add_argument("--json", metavar="FILE", help="write the decisions here")
    args = parser.parse_args()
    try:
        runs = []
        for path in [args.summary] + args.rerun:
            with open(path) as f:
                runs.append(json.load(f))
        with open(args.baseline) as f:
            baseline = json.load(f)
    except (OSError, ValueError) as e:
        print("compare: cannot read input: %s" % e, file=sys.stderr)
        return 2
    decisions = compare(baseline, runs)
    undecided = [d for d in decisions if d["verdict"] == "undecided"]
    if undecided:
        families = sorted({f for d in undecided for f in FAMILIES[d["ratio"]]})
        for d in undecided:
            print("compare: suspected %s" % line(d), file=sys.stderr)
        if args.rerun_families:
            with open(args.rerun_families, "w") as f:
                f.write("\n".join(families) + "\n")
        print("compare: measuring again: %s" % " ".join(families), file=sys.stderr)
        return 3
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"baseline": args.baseline, "alpha": ratio_stats.ALPHA,
                       "level": ratio_stats.LEVEL, "decisions": decisions,
                       "summary": checked_ratios.one_line_summary(decisions, args.baseline)}, f, indent=2)
    for d in decisions:
        if d["verdict"] == "ok":
            print("compare: %s: ok" % line(d), file=sys.stderr)
        elif d["verdict"] == "not compared":
            print("compare: %s: no baseline value, not compared" % d["ratio"], file=sys.stderr)
    for d in decisions:
        if d["verdict"] == "regression":
            print("compare: REGRESSION %s" % line(d), file=sys.stderr)
    print("compare: " + checked_ratios.one_line_summary(decisions, args.baseline), file=sys.stderr)
    return 1 if any(d["verdict"] == "regression" for d in decisions) else 0


if __name__ == "__main__":
    sys.exit(main())
