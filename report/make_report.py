#!/usr/bin/python3
"""Writes the report of a `harness run`: OUT/junit.xml and OUT/index.html (with the
benchmark plots copied to OUT/bench/), from the suites table report/run_all.sh keeps
(OUT/logs/suites.tsv), the suites' logs, Bazel's test.xml files, out/fuzz/summary.json and
out/bench/. Prints a plain-text summary; exit status 1 if any suite failed.

  make_report.py --suites TSV --out DIR [--fuzz-summary JSON] [--bench-dir DIR]
                 [--machine JSON] [--generated TEXT]
  make_report.py --suites TSV --line NAME    one suite's counts, as the progress shows them
"""
import argparse
import datetime
import json
import os
import pathlib
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import coverage_section  # noqa: E402
import html_report  # noqa: E402
import junit  # noqa: E402
import machine  # noqa: E402
import suites as suites_mod  # noqa: E402


def count_line(suite):
    c = suite["counts"]
    line = "%d passed, %d failed" % (c["passed"], c["failed"])
    if c["skipped"]:
        line += ", %d skipped" % c["skipped"]
    if suite["error"]:
        line += "; " + suite["error"]
    if suite["state"] != "ran":
        line = "not available" + (": " + suite["note"] if suite["note"] else "")
    elif suite["note"] and (suite["result"] == "not available" or suite["kind"] == "bench"):
        # The benchmarks' note says whether they were judged against a base.
        line += " (%s)" % suite["note"]
    return line


def vm_logs(suites):
    """The VM suite's log and its tests' logs, where the runner says how it booted."""
    vm = next((s for s in suites if s["name"] == "vm" and s["state"] == "ran"), None)
    if vm is None:
        return ""
    texts = [suites_mod.read_text(vm["log"])]
    if vm["testlogs"] and os.path.isdir(vm["testlogs"]):
        logs = pathlib.Path(vm["testlogs"]).rglob("test.log")
        texts += [suites_mod.read_text(p) for p in logs]
    return "\n".join(texts)


def bench_outputs(bench_dir, started, out_dir):
    """(summary.md text, [plot paths relative to out_dir]) written by this run's bench."""
    if not bench_dir or not os.path.isdir(bench_dir):
        return "", []
    fresh = lambda p: os.path.getmtime(p) + 1 >= started  # noqa: E731
    text = ""
    md = os.path.join(bench_dir, "summary.md")
    if os.path.exists(md) and fresh(md):
        text = pathlib.Path(md).read_text(errors="replace")
    plots = []
    svgs = sorted(p for p in pathlib.Path(bench_dir).glob("*.svg") if fresh(p))
    if svgs:
        os.makedirs(os.path.join(out_dir, "bench"), exist_ok=True)
    for svg in svgs:
        shutil.copyfile(svg, os.path.join(out_dir, "bench", svg.name))
        plots.append("bench/" + svg.name)
    return text, plots


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--suites", required=True, help="suites.tsv written by run_all.sh")
    p.add_argument("--out", help="directory for junit.xml, index.html and bench/")
    p.add_argument("--fuzz-summary", default="out/fuzz/summary.json")
    p.add_argument("--bench-dir", default="out/bench")
    p.add_argument("--coverage-dir", default="out/coverage",
                   help="what ./harness coverage wrote; shown when there")
    p.add_argument("--machine", help="JSON list of [label, value] instead of probing this host")
    p.add_argument("--generated", help="the time to print (default: now, UTC)")
    p.add_argument("--line", metavar="NAME", help="print suite NAME's counts and exit")
    args = p.parse_args()

    suites = suites_mod.load_all(args.suites, args.fuzz_summary, args.bench_dir)
    if args.line:
        suite = next((s for s in suites if s["name"] == args.line), None)
        if suite is None:
            print("make_report: no suite %s in %s" % (args.line, args.suites), file=sys.stderr)
            return 2
        line = count_line(suite)
        print(line if suite["state"] != "ran" else "%s, %s" % (suite["result"].upper(), line))
        return 1 if suite["result"] == "failed" else 0
    if not args.out:
        p.error("--out is required unless --line is given")

    os.makedirs(args.out, exist_ok=True)
    totals = suites_mod.totals(suites)
    if args.machine:
        with open(args.machine) as f:
            facts = [tuple(x) for x in json.load(f)]
    else:
        facts = machine.collect(vm_logs(suites))
    bench = next((s for s in suites if s["kind"] == "bench" and s["state"] == "ran"), None)
    bench_md, plots = bench_outputs(args.bench_dir, bench["started"], args.out) if bench \
        else ("", [])
    generated = args.generated or datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC")

    junit.write(suites, os.path.join(args.out, "junit.xml"))
    coverage = coverage_section.load(args.coverage_dir)
    coverage_html = coverage_section.section(
        coverage, coverage_section.copy_html(args.coverage_dir, args.out)) if coverage else ""
    page = html_report.render(suites, totals, facts, generated, bench_md, plots, coverage_html)
    pathlib.Path(args.out, "index.html").write_text(page)

    width = max(len(s["name"]) for s in suites) if suites else 5
    for s in suites:
        print("  %-*s  %-13s  %s  (%s)" % (width, s["name"], s["result"].upper(),
                                           count_line(s), html_report.duration(s["seconds"])))
    failed = [s["name"] for s in suites if s["result"] == "failed"]
    print("report: %s, %s" % (os.path.join(args.out, "index.html"),
                               os.path.join(args.out, "junit.xml")))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
