#!/usr/bin/env python3
"""Draws the SVG plots of a run with gnuplot: latency by namespace flags, by parent size
(log latency axis) and by threads, floor, lix and fast on each. Missing values (not run,
failed) are left out of the plot rather than drawn as zero."""

import argparse
import json
import os
import subprocess
import sys
import tempfile

IMPLS = ("floor", "lix", "fast")
COLORS = {"floor": "#777777", "lix": "#d95f02", "fast": "#1b9e77"}


def num(v):
    return "NaN" if v is None else "%.3f" % v


def write_data(path, keys, data):
    """One row per key: the key, then floor, lix, fast."""
    with open(path, "w") as f:
        f.write("# key floor lix fast\n")
        for k in keys:
            f.write("%s %s\n" % (k, " ".join(num(data[i].get(k)) for i in IMPLS)))


def plot_script(svg, title, data, xlabel, kind):
    common = [
        "set terminal svg size 720,400 dynamic noenhanced font 'sans,11' background '#ffffff'",
        "set output '%s'" % svg,
        "set title '%s'" % title,
        "set ylabel 'µs, call to release (median)'",
        "set xlabel '%s'" % xlabel,
        "set grid ytics",
        "set key top left",
        "set datafile missing 'NaN'",
    ]
    if kind == "bars":
        common += ["set style data histograms", "set style histogram clustered gap 1",
                   "set style fill solid 0.85 border -1", "set boxwidth 0.9",
                   "set xtics rotate by -30",
                   # The network namespace costs ten times the others: a log scale shows both.
                   "set logscale y", "set yrange [5:*]"]
        plots = ["'%s' using %d:xtic(1) lc rgb '%s' title '%s'" % (data, n + 2, COLORS[i], i)
                 for n, i in enumerate(IMPLS)]
    else:
        common += ["set logscale x 2"]
        if kind == "loglog":
            # lix grows a hundredfold with the parent while floor and fast stay put: on a
            # linear axis they would flatten to zero; a log axis shows all three.
            common += ["set logscale y", "set format y '%.0f'",
                       "set ylabel 'µs, call to release (median; log scale)'",
                       "set key top left opaque"]
        else:
            common += ["set yrange [0:*]"]
        plots = ["'%s' using 1:%d with linespoints lc rgb '%s' lw 2 pt 7 title '%s'"
                 % (data, n + 2, COLORS[i], i) for n, i in enumerate(IMPLS)]
    return "\n".join(common + ["plot " + ", ".join(plots)]) + "\n"


def draw(summary, out_dir):
    figures = [
        ("latency_by_flags", "Clone to release by namespace flags",
         list(summary["per_flag_us"]["floor"]), summary["per_flag_us"], "namespaces cloned", "bars"),
        ("latency_by_parent_rss", "Clone to release by parent resident size (seed flags)",
         list(summary["parent_rss_us"]["floor"]), summary["parent_rss_us"],
         "parent resident MiB", "loglog"),
        ("latency_by_threads", "Clone to release per starter, threads starting at once",
         list(summary["threads_us"]["floor"]), summary["threads_us"], "threads", "logx"),
    ]
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, title, keys, data, xlabel, kind in figures:
            if all(data[i].get(k) is None for i in IMPLS for k in keys):
                print("bench: no data for %s, not drawn" % name, file=sys.stderr)
                continue
            dat = os.path.join(tmp, name + ".dat")
            write_data(dat, keys, data)
            svg = os.path.join(out_dir, name + ".svg")
            script = plot_script(svg, title, dat, xlabel, kind)
            res = subprocess.run(["gnuplot"], input=script.encode(), capture_output=True)
            if res.returncode != 0:
                raise SystemExit("gnuplot failed for %s: %s" % (name, res.stderr.decode()))
            written.append(svg)
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("summary", help="summary.json")
    parser.add_argument("out_dir", help="directory for the SVG files")
    args = parser.parse_args()
    with open(args.summary) as f:
        summary = json.load(f)
    for svg in draw(summary, args.out_dir):
        print("bench: wrote " + svg, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
