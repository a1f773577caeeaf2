#!/usr/bin/env python3
"""The regression check: compares the ratios of a run (summary.json) against a baseline
(bench/baseline.json: a summary of a run on the reference machine plus "tolerances").

Only ratios are compared, never bare times: each is taken against a floor or a peer
measured in the same run, so it survives a slower or busier machine. Every checked ratio is
"lower is better"; one that grew by more than its tolerance (relative) is a regression.
Exit 0: no regression; 1: regression (each named on stderr); 2: bad input.
"""

import argparse
import json
import sys

# Ratio path in summary.json -> default relative tolerance. The machine the baseline was
# made on is shared and has 2 cores; there, quick and full runs moved these ratios by up to
# about two thirds of the tolerance given (lix, whose fork depends on the whole machine,
# the most). A regression worth catching (fast forking, a phase doubling) moves them far
# more. A baseline's "tolerances" block overrides them one by one.
CHECKED = {
    "ratios.fast_over_floor": 0.20,
    "ratios.lix_over_floor": 0.35,
    "ratios.fast_over_lix_at_4gib": 0.35,
    # Wide: what this must catch is fast growing with the parent as a fork does (100x).
    "rss_growth.fast": 0.40,
    "rss_growth.lix": 0.35,
    "end_to_end_ratios.sbx_run_over_bwrap": 0.25,
    "end_to_end_ratios.sbx_run_over_unshare": 0.25,
    "end_to_end_ratios.sbx_run_over_crun": 0.25,
}


def get(tree, path):
    for part in path.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return None
        tree = tree[part]
    return tree if isinstance(tree, (int, float)) else None


def compare(current, baseline):
    """Returns (regressions, notes): lists of human-readable lines."""
    tolerances = dict(CHECKED)
    tolerances.update(baseline.get("tolerances", {}))
    regressions, notes = [], []
    for path in CHECKED:
        tol = float(tolerances[path])
        base, now = get(baseline, path), get(current, path)
        if base is None:
            notes.append("%s: no baseline value, not compared" % path)
            continue
        if now is None:
            regressions.append("%s: not measured in this run (baseline %.3f)" % (path, base))
            continue
        limit = base * (1 + tol)
        line = "%s = %.3f, baseline %.3f, allowed up to %.3f (+%d%%)" % (
            path, now, base, limit, round(tol * 100))
        if now > limit:
            regressions.append(line)
        else:
            notes.append(line + ": ok")
    return regressions, notes


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("summary", help="summary.json of this run")
    parser.add_argument("baseline", help="baseline summary with tolerances")
    args = parser.parse_args()
    try:
        with open(args.summary) as f:
            current = json.load(f)
        with open(args.baseline) as f:
            baseline = json.load(f)
    except (OSError, ValueError) as e:
        print("compare: cannot read input: %s" % e, file=sys.stderr)
        return 2
    regressions, notes = compare(current, baseline)
    for line in notes:
        print("compare: " + line, file=sys.stderr)
    for line in regressions:
        print("compare: REGRESSION " + line, file=sys.stderr)
    if regressions:
        print("compare: %d ratio(s) regressed against %s" % (len(regressions), args.baseline),
              file=sys.stderr)
        return 1
    print("compare: no regression against %s" % args.baseline, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
