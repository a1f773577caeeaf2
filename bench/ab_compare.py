#!/usr/bin/env python3
"""The A/B regression check: the base revision against the change, both built and run on
this machine in the same job (bench/ab_run.sh), never against numbers recorded elsewhere.

A run directory holds one summary.json per segment: base-1, change-1, change-2, base-2 (the
families ran A B B A, or B A A B, each segment its own process). Each side's samples are
pooled over its segments, and each checked ratio (bench/checked_ratios.py) is judged by
bench/ratio_stats.py: the change is suspected when a one-sided U test puts it above the
base at p < 0.01 and the difference of medians reaches the ratio's minimum effect. A
suspected ratio's families are measured again, A/B again, and the majority of up to three
runs decides, so a moment of load on a shared machine does not fail CI.

Exit 0: no regression; 1: regression (each named on stderr); 2: bad input; 3: a ratio is
still undecided and needs another run (its families are written to --rerun-families).
"""

import argparse
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checked_ratios  # noqa: E402
import ratio_stats  # noqa: E402
from scipy.stats import mannwhitneyu  # noqa: E402

MIN_SAMPLES = 3


def pooled(summaries, path):
    """One side's samples of a ratio over its segments; None when too few to judge."""
    values = [v for s in summaries for v in (s.get("samples", {}).get(path) or [])]
    return values if len(values) >= MIN_SAMPLES else None


def read_run(run_dir):
    """{"base": [summary, ...], "change": [...]} of one A/B run directory."""
    run = {}
    for side in ("base", "change"):
        paths = sorted(glob.glob(os.path.join(run_dir, side + "-*", "summary.json")))
        if not paths:
            raise ValueError("%s: no %s-N/summary.json" % (run_dir, side))
        run[side] = []
        for p in paths:
            with open(p) as f:
                run[side].append(json.load(f))
    return run


def judge(base, change, min_effect):
    """One run of one ratio: ratio_stats' comparison, None when the change lacks it."""
    if change is None:  # not measured counts as an alarm: a re-run may still measure it
        return None
    r = ratio_stats.compare(base, change, min_effect)
    # Said, never failed on: the mirror of a regression (significantly lower, by at least
    # the minimum effect).
    p_lower = float(mannwhitneyu(change, base, alternative="less").pvalue)
    r["improved"] = p_lower < ratio_stats.ALPHA and r["change"] <= -min_effect
    return r


def decide(path, runs):
    """One ratio over the first run and its re-runs: the first run's statistics, a
    "verdict" (ok, regression, undecided, not compared), "reruns" and a note."""
    min_effect = checked_ratios.MIN_EFFECT[path]
    results = []
    for run in runs:
        base = pooled(run["base"], path)
        if base is None:
            if not results:
                return {"ratio": path, "verdict": "not compared", "reruns": 0,
                        "note": "the base did not measure it"}
            continue  # a re-run whose base failed decides nothing either way
        results.append(judge(base, pooled(run["change"], path), min_effect))
        verdict, note = checked_ratios.majority([r is None or r["regressed"] for r in results])
        if verdict != "undecided":
            break
    first = results[0]
    out = {"ratio": path, "verdict": verdict, "reruns": len(results) - 1, "note": note}
    if first is None:
        out["note"] = "; ".join(filter(None, ("not measured in the change", note)))
    else:
        out.update(first)
        if first["improved"] and verdict == "ok":
            out["note"] = "; ".join(filter(None, ("improved", note)))
    return out


def compare(runs):
    return [decide(path, runs) for path in checked_ratios.MIN_EFFECT]


def line(d):
    """One ratio: both sides' medians with their 95% intervals, the difference with its
    interval, the U test's p, the minimum effect."""
    if "current" not in d:
        return "%s: %s" % (d["ratio"], d["note"])
    pct = checked_ratios.pct
    text = ("%s: base %.4g [%.4g, %.4g], change %.4g [%.4g, %.4g], difference %s [%s, %s], "
            "p %.2g, min effect %s" % (
                d["ratio"], d["baseline"], d["baseline_ci"][0], d["baseline_ci"][1],
                d["current"], d["current_ci"][0], d["current_ci"][1], pct(d["change"]),
                pct(d["change_ci"][0]), pct(d["change_ci"][1]), d["p"], pct(d["min_effect"])))
    return text + (" (%s)" % d["note"] if d["note"] else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", metavar="RUN_DIR",
                        help="the first A/B run's directory, then each re-run's, in order")
    parser.add_argument("--base-label", default="base", help="how to name the base (REF)")
    parser.add_argument("--rerun-families", metavar="FILE",
                        help="where to write the families to measure again (exit 3)")
    parser.add_argument("--json", metavar="FILE", help="write the decisions here")
    args = parser.parse_args()
    try:
        runs = [read_run(d) for d in args.runs]
    except (OSError, ValueError) as e:
        print("ab: cannot read input: %s" % e, file=sys.stderr)
        return 2
    decisions = compare(runs)
    undecided = [d for d in decisions if d["verdict"] == "undecided"]
    if undecided:
        families = sorted({f for d in undecided for f in checked_ratios.FAMILIES[d["ratio"]]})
        for d in undecided:
            print("ab: suspected %s" % line(d), file=sys.stderr)
        if args.rerun_families:
            with open(args.rerun_families, "w") as f:
                f.write("\n".join(families) + "\n")
        print("ab: measuring base and change again: %s" % " ".join(families), file=sys.stderr)
        return 3
    summary = checked_ratios.one_line_summary(decisions, "the base " + args.base_label)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"base": args.base_label, "alpha": ratio_stats.ALPHA,
                       "level": ratio_stats.LEVEL, "decisions": decisions,
                       "summary": summary}, f, indent=2)
    for d in decisions:
        if d["verdict"] == "ok":
            print("ab: %s: ok" % line(d), file=sys.stderr)
        elif d["verdict"] == "not compared":
            print("ab: %s: not compared (the base did not measure it)" % d["ratio"],
                  file=sys.stderr)
    for d in decisions:
        if d["verdict"] == "regression":
            print("ab: REGRESSION %s" % line(d), file=sys.stderr)
    print("ab: " + summary, file=sys.stderr)
    return 1 if any(d["verdict"] == "regression" for d in decisions) else 0


if __name__ == "__main__":
    sys.exit(main())
