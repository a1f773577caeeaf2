#!/usr/bin/python3
"""The coverage ratchet: the union's line and branch coverage of each file of sandbox/ (and
of all of it) must not fall more than MARGIN percentage points below coverage/floor.tsv,
the committed floor. --update raises the floor to what this run reached; it never lowers it.

  ratchet.py --summary out/coverage/summary.json --floor coverage/floor.tsv
             [--margin 1.0] [--update]

Prints one line per file that lost coverage, naming the file, the kind, the floor and what
this run reached; exit status 1 then. A file without a floor yet is not judged (--update
gives it one); a floor for a file that is gone is dropped by --update.
"""
import argparse
import json
import pathlib
import sys

KINDS = ("lines", "branches")
TOTAL = "(all of sandbox/)"


def percent(pair):
    hit, found = pair
    return 100.0 * hit / found if found else 100.0


def read_floor(path):
    floor = {}
    if not pathlib.Path(path).exists():
        return floor
    for line in pathlib.Path(path).read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, lines, branches = line.split("\t")
        floor[name] = {"lines": float(lines), "branches": float(branches)}
    return floor


def reached(summary):
    """{file: {kind: percent}} of the union, with the total as TOTAL."""
    union = summary["union"]
    out = {name: {k: percent(s[k]) for k in KINDS} for name, s in union["files"].items()}
    out[TOTAL] = {k: percent(union["total"][k]) for k in KINDS}
    return out


def check(floor, now, margin):
    """Lines saying what fell below the floor (empty: the ratchet holds)."""
    lost = []
    for name in sorted(floor, key=lambda n: (n == TOTAL, n)):  # files first, then all
        if name not in now:
            continue  # the file is gone
        for kind in KINDS:
            if now[name][kind] < floor[name][kind] - margin:
                lost.append("%s: %s %.1f%% -> %.1f%% (floor %.1f%%, margin %.1f points)" % (
                    name, kind, floor[name][kind], now[name][kind], floor[name][kind], margin))
    return lost


def raised(floor, now):
    """The floor after this run: never lower, new files added, gone files dropped."""
    return {name: {k: max(now[name][k], floor.get(name, {}).get(k, 0.0)) for k in KINDS}
            for name in now}


def write_floor(path, floor):
    rows = ["# The coverage ratchet's floor (coverage/ratchet.py): the union's line and branch",
            "# coverage of each file of sandbox/, in percent. Only goes up: ./harness coverage",
            "# --update-floor after a change that raised it.",
            "#file\tlines\tbranches"]
    for name in sorted(floor, key=lambda n: (n == TOTAL, n)):
        rows.append("%s\t%.1f\t%.1f" % (name, floor[name]["lines"], floor[name]["branches"]))
    pathlib.Path(path).write_text("\n".join(rows) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--summary", required=True)
    p.add_argument("--floor", required=True)
    p.add_argument("--margin", type=float, default=1.0)
    p.add_argument("--update", action="store_true")
    p.add_argument("--json", help="write the verdict here, for the report")
    args = p.parse_args()
    summary = json.loads(pathlib.Path(args.summary).read_text())
    now = reached(summary)
    floor = read_floor(args.floor)
    lost = check(floor, now, args.margin)
    new = sorted(set(now) - set(floor))
    for line in lost:
        print("ratchet: LOST " + line)
    if new:
        print("ratchet: no floor yet for " + ", ".join(new))
    verdict = "failed" if lost else "ok"
    print("ratchet: %s (%d files against %s, margin %.1f points)" % (
        verdict.upper() if lost else verdict, len(floor), args.floor, args.margin))
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(
            {"verdict": verdict, "lost": lost, "no_floor": new, "margin": args.margin}))
    if args.update:
        write_floor(args.floor, raised(floor, now))
        print("ratchet: floor raised where this run reached more: " + args.floor)
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
