#!/usr/bin/python3
"""Turns the profiles each suite left into the coverage of sandbox/: per suite and the
union, per file (lines, branches, functions), the lines only one suite reaches, lcov.info,
Cobertura XML (written by gcovr), llvm-cov's HTML view and summary.json for the report.

  merge.py --profiles DIR --out DIR --binaries FILE [--suites-ran a,b,...]

DIR/SUITE/**.profraw are SUITE's profiles; FILE lists the instrumented binaries (one path a
line), whose coverage mappings llvm-cov reads. Run from the workspace root: the mappings
name sources relative to it (sandbox/...).
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lcov  # noqa: E402

LLVM_PROFDATA = "llvm-profdata-14"
LLVM_COV = "llvm-cov-14"
# Bazel compiles in /proc/self/cwd (its PWD), so the mappings name sources below it, which
# is llvm-cov's own working directory, the workspace, when it reads them; lcov.info names
# them relative to the workspace. Only the library is reported: not tests, nor headers of
# the system or of other packages.
CWD = "/proc/self/cwd/"
IGNORE = r"^/(?!proc/self/cwd/)|external/|bazel-out/|_test\.cc$"
SUITE_ORDER = ("unit", "host", "vm", "fuzz", "conformance")


def in_scope(path):
    return path.startswith("sandbox/") and not path.endswith("_test.cc")


def merge_profiles(inputs, out):
    """llvm-profdata merge; a profile cut short (a process killed while creating it) is
    skipped with a warning rather than losing the suite."""
    listing = out + ".inputs"
    pathlib.Path(listing).write_text("".join(p + "\n" for p in inputs))
    subprocess.run([LLVM_PROFDATA, "merge", "-sparse", "--failure-mode=all",
                    "--input-files=" + listing, "-o", out], check=True)


def cov_args(binaries, profdata):
    first, *rest = binaries
    return ["-instr-profile=" + profdata, first] + [a for b in rest for a in ("-object", b)] + [
        "-ignore-filename-regex=" + IGNORE]


def export_lcov(binaries, profdata, out):
    exported = subprocess.run([LLVM_COV, "export", "-format=lcov"] + cov_args(binaries, profdata),
                              stdout=subprocess.PIPE, text=True, check=True).stdout
    pathlib.Path(out).write_text(exported.replace("\nSF:" + CWD, "\nSF:").replace("SF:" + CWD, "SF:", 1))
    return lcov.read(out, in_scope)


def table(per_file, union_total):
    """Plain text: one row per file, lines, branches, functions."""
    rows = ["%-40s %20s %20s %16s" % ("file", "lines", "branches", "functions")]

    def cell(pair):
        return "%d/%d %5.1f%%" % (pair[0], pair[1], lcov.percent(pair))
    for name in sorted(per_file):
        s = per_file[name]
        rows.append("%-40s %20s %20s %16s" % (name, cell(s["lines"]), cell(s["branches"]),
                                               cell(s["functions"])))
    rows.append("%-40s %20s %20s %16s" % ("total", cell(union_total["lines"]),
                                           cell(union_total["branches"]),
                                           cell(union_total["functions"])))
    return "\n".join(rows)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profiles", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--binaries", required=True)
    p.add_argument("--suites-ran", default="", help="comma-separated, for summary.json")
    args = p.parse_args()
    binaries = [b for b in pathlib.Path(args.binaries).read_text().split("\n") if b]
    if not binaries:
        print("coverage: no instrumented binary found", file=sys.stderr)
        return 1
    os.makedirs(args.out, exist_ok=True)
    work = os.path.join(args.out, "profdata")
    os.makedirs(work, exist_ok=True)

    suites = {}
    for suite in sorted(os.listdir(args.profiles),
                        key=lambda s: (SUITE_ORDER.index(s) if s in SUITE_ORDER else 99, s)):
        raws = sorted(str(p) for p in pathlib.Path(args.profiles, suite).rglob("*.profraw"))
        if not raws:
            print("coverage: %s left no profile" % suite)
            continue
        print("coverage: %s: merging %d profiles" % (suite, len(raws)), flush=True)
        profdata = os.path.join(work, suite + ".profdata")
        merge_profiles(raws, profdata)
        suites[suite] = {"profdata": profdata, "profiles": len(raws)}
    if not suites:
        print("coverage: no suite left a profile", file=sys.stderr)
        return 1

    union = os.path.join(work, "union.profdata")
    merge_profiles([s["profdata"] for s in suites.values()], union)
    per_suite = {}
    for suite, info in suites.items():
        per_suite[suite] = export_lcov(binaries, info["profdata"],
                                       os.path.join(work, suite + ".lcov.info"))
    union_files = export_lcov(binaries, union, os.path.join(args.out, "lcov.info"))

    # Cobertura XML for CI coverage views, by gcovr from its own JSON.
    gcovr_json = os.path.join(work, "union.gcovr.json")
    pathlib.Path(gcovr_json).write_text(json.dumps(lcov.gcovr_json(union_files)))
    subprocess.run(["gcovr", "--root", ".", "--add-tracefile", gcovr_json,
                    "--cobertura-pretty", "--cobertura", os.path.join(args.out, "cobertura.xml")],
                   check=True)
    # The per-file view, unreached lines and branches marked: llvm-cov's own HTML.
    subprocess.run([LLVM_COV, "show", "-format=html", "-show-branches=count",
                    "-show-line-counts-or-regions", "-project-title=sbx: coverage of sandbox/",
                    "-output-dir=" + os.path.join(args.out, "html")] + cov_args(binaries, union),
                   check=True)

    summary = {"suites": {}, "suites_ran": [s for s in args.suites_ran.split(",") if s],
               "only": {}, "union": {}}
    for suite, files in per_suite.items():
        per_file = {name: lcov.summary(data) for name, data in files.items()}
        summary["suites"][suite] = {"profiles": suites[suite]["profiles"], "files": per_file,
                                    "total": lcov.total(per_file.values())}
    union_per_file = {name: lcov.summary(data) for name, data in union_files.items()}
    summary["union"] = {"files": union_per_file, "total": lcov.total(union_per_file.values())}
    summary["only"] = lcov.only_by(per_suite)
    # What no suite reaches: the functions (docs/testing.md gives each a verdict).
    summary["unreached_functions"] = {
        name: sorted({fn for fn, (_, count) in data["functions"].items() if not count})
        for name, data in union_files.items()
        if any(not count for _, count in data["functions"].values())}
    pathlib.Path(args.out, "summary.json").write_text(json.dumps(summary, indent=1))

    text = [table(union_per_file, summary["union"]["total"]), "", "by suite:"]
    for suite, s in summary["suites"].items():
        t = s["total"]
        text.append("  %-12s lines %5.1f%%  branches %5.1f%%  functions %5.1f%%  (%d profiles)"
                    % (suite, lcov.percent(t["lines"]), lcov.percent(t["branches"]),
                       lcov.percent(t["functions"]), s["profiles"]))
    text.append("")
    text.append("lines only one suite reaches:")
    for suite, files in summary["only"].items():
        for name, lines in sorted(files.items()):
            text.append("  %-12s %s: %s" % (suite, name, lcov.ranges(lines)))
    pathlib.Path(args.out, "summary.txt").write_text("\n".join(text) + "\n")
    print("\n".join(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
