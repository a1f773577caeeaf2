#!/usr/bin/env python3
"""Budgets: bounds that hold on any machine of this kind, checked on one run alone.

Each budget is a ratio against a floor or a peer measured in the same run (fast over the
floor, sbx run over bwrap and over unshare, fast's growth with the parent's size over its
own process's floor), so it does not depend on how fast the machine is. The bounds are far
wider than the project's targets (summary.json "targets", which this machine meets or
misses by a few percent): a budget is missed by a blunder, such as fast falling back to a
fork or sbx run doing a second exec, not by a slower or busier machine. Regressions, which
are smaller, are the A/B check's (bench/ab_compare.py).

Prints one line per budget; exit 1 when one is missed, 2 on bad input.
"""

import argparse
import json
import sys

# Name -> (summary.json path, at most, what a miss would mean). The values measured on the
# 2-CPU development machine, at load averages 2.7 to 12, are in docs/benchmarks.md; each
# bound is at least 1.4x the worst of them. Heavy load pushes the end-to-end ratios towards
# the ratio of the processes each tool runs (sbx run over unshare: 1.0 at load 3, 2.76 at
# load 12), so their bounds catch only a blunder of several times (a sleep, a fork of a big
# parent, an exec too many), not a load; smaller regressions are the A/B check's.
BUDGETS = {
    "fast_over_floor": (
        "paired.fast_over_floor", 1.5, "fast's start far from the floor, clone to release"),
    "fast_call_to_release_over_floor": (
        "paired.fast_call_to_release_over_floor", 1.5,
        "fast's start far from the floor, call to release"),
    "fast_growth_4gib_over_16mib": (
        "rss_growth_floor_relative.fast", 6.0,
        "fast not flat in the parent's size (a fork of a 4 GiB parent is 40x or more)"),
    "sbx_run_over_bwrap": (
        "end_to_end_ratios.sbx_run_over_bwrap", 2.0, "sbx run far slower than bwrap"),
    "sbx_run_over_unshare": (
        "end_to_end_ratios.sbx_run_over_unshare", 4.0, "sbx run far slower than unshare"),
}


def value_at(summary, path):
    section, name = path.split(".", 1)
    v = (summary.get(section) or {}).get(name)
    return v if isinstance(v, (int, float)) else None


def check(summary):
    """One dict per budget: name, value (None: not measured), at_most, why, met."""
    out = []
    for name, (path, at_most, why) in BUDGETS.items():
        v = value_at(summary, path)
        out.append({"budget": name, "ratio": path, "value": v, "at_most": at_most, "why": why,
                    "met": None if v is None else v <= at_most})
    return out


def line(b):
    if b["value"] is None:
        return "budget: %s: not measured (%s)" % (b["budget"], b["why"])
    text = "%s = %.3g, at most %.3g (%s)" % (b["budget"], b["value"], b["at_most"], b["why"])
    return "budget: %s: ok" % text if b["met"] else "budget: MISSED %s" % text


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("summary", help="summary.json of the run (the change's, in A/B)")
    parser.add_argument("--json", metavar="FILE", help="write the results here")
    args = parser.parse_args()
    try:
        with open(args.summary) as f:
            summary = json.load(f)
    except (OSError, ValueError) as e:
        print("budget: cannot read input: %s" % e, file=sys.stderr)
        return 2
    results = check(summary)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    for b in results:
        print(line(b), file=sys.stderr)
    missed = [b["budget"] for b in results if b["met"] is False]
    print("budget: %d of %d budgets missed%s" % (
        len(missed), sum(1 for b in results if b["met"] is not None),
        ": " + ", ".join(missed) if missed else ""), file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
