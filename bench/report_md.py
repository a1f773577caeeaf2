#!/usr/bin/env python3
"""Renders summary.json as markdown tables (out/bench/summary.md): headline, targets,
per-flag latency, parent size, threads, churn, phases, end to end and, after a --compare run,
the regression check. Every latency table carries the ratio against the floor measured in
the same run."""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_run_cost_md  # noqa: E402

IMPLS = ("floor", "lix", "fast")


def us(v):
    if v is None:
        return "–"
    return "%.0f" % v if abs(v) >= 100 else "%.1f" % (0.0 if abs(v) < 0.05 else v)


def x(v):
    if v is None:
        return "–"
    return "%.2fx" % v if v >= 0.1 else "%.4fx" % v


def div(a, b):
    return None if a is None or b is None or b == 0 else a / b


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out) + "\n"


def latency_table(first, keys, data, label=str):
    """Rows by key; columns floor, lix, fast latency and lix, fast over floor."""
    rows = []
    for k in keys:
        v = {i: data[i].get(k) for i in IMPLS}
        if all(n is None for n in v.values()):
            continue  # not run (e.g. a size left out of a quick run)
        rows.append([label(k)] + [us(v[i]) for i in IMPLS] +
                    [x(div(v["lix"], v["floor"])), x(div(v["fast"], v["floor"]))])
    return table([first, "floor µs", "lix µs", "fast µs", "lix/floor", "fast/floor"], rows)


def interval(v, lo, hi, fmt="%.4g"):
    return (fmt + " (" + fmt + " to " + fmt + ")") % (v, lo, hi)


def compare_section(c):
    """The regression check's decisions (compare_summary.py --json): one row per ratio."""
    out = ["## Regression check against `%s`\n" % c["baseline"],
           "Medians of the per-repetition samples with their %d%% bootstrap intervals; "
           "regressed when a one-sided U test gives p < %g and the change reaches the "
           "minimum effect, in the majority of up to three runs.\n" % (
               round(c["level"] * 100), c["alpha"])]
    rows = []
    for d in c["decisions"]:
        if "current" not in d:
            rows.append(["`%s`" % d["ratio"], "–", "–", "–", "–", "–", d["verdict"],
                         d.get("note", "")])
            continue
        verdict = "**REGRESSION**" if d["verdict"] == "regression" else d["verdict"]
        pct = "%+.1f%%"
        rows.append(["`%s`" % d["ratio"], interval(d["baseline"], *d["baseline_ci"]),
                     interval(d["current"], *d["current_ci"]),
                     interval(d["change"] * 100, d["change_ci"][0] * 100,
                              d["change_ci"][1] * 100, "%+.1f%%"),
                     pct % (d["min_effect"] * 100), "%.2g" % d["p"], verdict,
                     "%d re-run(s) %s" % (d["reruns"], d["note"]) if d["reruns"] else ""])
    out.append(table(["ratio", "baseline", "this run", "change", "min effect", "p",
                      "verdict", "re-runs"], rows))
    out.append("\n%s\n" % c["summary"])
    return "\n".join(out)


def ab_section(ab):
    """The A/B check's decisions (ab_compare.py --json): base, change, difference, verdict;
    or, without a base revision, that nothing was judged."""
    out = ["## Regression check: base against change, on this machine\n"]
    if ab is None:
        out.append("No base revision: not judged (`--base REF`, or SBX_BENCH_BASE).\n")
        return "\n".join(out)
    out.append("Base `%s` and the change, built with the same flags, their families run "
               "interleaved (A B B A). Medians of each side's samples with %d%% bootstrap "
               "intervals; regressed when a one-sided U test gives p < %g and the difference "
               "reaches the minimum effect, in the majority of up to three runs.\n" % (
                   ab["base"], round(ab["level"] * 100), ab["alpha"]))
    rows = []
    for d in ab["decisions"]:
        verdict = "**REGRESSION**" if d["verdict"] == "regression" else d["verdict"]
        verdict += " (%s)" % d["note"] if d.get("note") else ""
        if "current" not in d:
            rows.append(["`%s`" % d["ratio"], "–", "–", "–", "–", "–", verdict])
            continue
        rows.append(["`%s`" % d["ratio"], interval(d["baseline"], *d["baseline_ci"]),
                     interval(d["current"], *d["current_ci"]),
                     interval(d["change"] * 100, d["change_ci"][0] * 100,
                              d["change_ci"][1] * 100, "%+.1f%%"),
                     "%+.1f%%" % (d["min_effect"] * 100), "%.2g" % d["p"], verdict])
    out.append(table(["ratio", "base", "change", "difference", "min effect", "p", "verdict"],
                     rows))
    out.append("\n%s\n" % ab["summary"])
    return "\n".join(out)


def budgets_section(budgets):
    """The budgets (budgets.py --json): bounds for any machine, apart from regressions."""
    out = ["## Budgets (hold on any machine; apart from the regression check)\n"]
    rows = [[b["budget"], x(b["value"]), "≤ %.2fx" % b["at_most"],
             "not measured" if b["met"] is None else ("yes" if b["met"] else "**MISSED**"),
             b["why"]] for b in budgets]
    out.append(table(["budget", "measured", "bound", "met", "a miss would mean"], rows))
    return "\n".join(out)


PHASE_TOOLS = ("sbx_run", "floor_run", "unshare", "bwrap")
PHASE_PEERS = ("floor_run", "unshare", "bwrap")
PHASE_NOTES = {
    "spawn": "posix_spawn to the tool's execve done",
    "start": "to the fork of the sandboxed child",
    "setup": "in the child, to the exec of the command",
    "command": "`/bin/true` itself, exec to exit",
    "exit_wait": "the command's exit to the tool's",
    "reap": "to the harness's waitpid return",
    "total": "the traced run, spawn to reap",
}


def phase_section(s):
    """The phase split of the end-to-end runs (bench/phase_split.py): phase × tool, ms."""
    ms = s.get("end_to_end_phases_ms") or {}
    info = s.get("end_to_end_phases") or {}
    out = ["\n## End to end by phase, ms\n"]
    if not ms:
        out.append("Not measured%s.\n" % (
            ": " + info["unavailable"] if info.get("unavailable") else ""))
        return "\n".join(out)
    tools = [t for t in PHASE_TOOLS if t in ms] + [t for t in ms if t not in PHASE_TOOLS]
    out.append("Medians over %s traced rounds (kernel fork/exec/exit events in a private "
               "ftrace instance, the same for every tool; runs apart from the untraced ones "
               "above). Each phase's median on its own: they need not add up to the "
               "total's.\n" % info.get("rounds"))

    def diff(a, b):
        return "–" if a is None or b is None else "%+.2f" % (a - b)

    rows = []
    for p in info.get("order") or list(ms[tools[0]]):
        v = {t: ms[t].get(p) for t in tools}
        rows.append([p] + ["–" if v[t] is None else "%.2f" % v[t] for t in tools] +
                    [diff(v.get("sbx_run"), v.get(peer)) for peer in PHASE_PEERS
                     if "sbx_run" in v and peer in v] + [PHASE_NOTES.get(p, "")])
    peers = ["sbx_run − %s" % peer for peer in PHASE_PEERS
             if "sbx_run" in ms and peer in ms]
    out.append(table(["phase"] + tools + peers + ["from → to"], rows))
    left = {t: n for t, n in (info.get("left_running") or {}).items() if n}
    if left:
        out.append("Still running at the tool's exit (off the wall time): %s.\n" % ", ".join(
            "%s %d process(es)" % kv for kv in left.items()))
    failed = {t: n for t, n in (info.get("failures") or {}).items() if n}
    if failed:
        out.append("Traced runs not split (failed or events missing): %s.\n" % ", ".join(
            "%s %d" % kv for kv in failed.items()))
    return "\n".join(out)


def render(s, compare=None, ab=None, budgets=None, judged=False):
    out = ["# Clone-to-release latency%s\n" % (" (quick run)" if s.get("quick") else ""),
           "Kernel %s, %s CPUs. Medians over repetitions (the headline: over the four families "
           "that measure its case); µs per start as the parent sees "
           "it, from the clone to the release (first headline) and from the call to the release "
           "(second).\n" % (s["host"]["kernel"], s["host"]["cpus"])]

    if budgets is not None:
        out.append(budgets_section(budgets))
    if judged or ab is not None:
        out.append(ab_section(ab))
    out.append("## Targets (this project's goals, informational)\n")
    names = {"fast_over_floor": "fast over floor, clone to release (seed flags)",
             "fast_call_to_release_over_floor":
                 "fast over the whole-start floor, call to release (seed flags)",
             "rss_growth_fast": "fast at 4 GiB over 16 MiB parent",
             "sbx_run_over_bwrap": "sbx run over bwrap",
             "sbx_run_over_unshare": "sbx run over unshare",
             "sbx_run_over_crun": "sbx run over crun"}
    rows = []
    for k, t in s["targets"].items():
        met = "not measured" if t["met"] is None else ("yes" if t["met"] else "**no**")
        rows.append([names.get(k, k), x(t["value"]), "≤ %.2fx" % t["at_most"], met])
    out.append(table(["target", "measured", "limit", "met"], rows))

    r = s["ratios"]
    out.append("\n## Headline (seed flags, small parent)\n")
    out.append(table(["", "floor", "lix", "fast"],
                     [["clone to release, µs"] + [us(s["clone_to_release_us"][i]) for i in IMPLS],
                      ["over floor", "1.00x", x(r["lix_over_floor"]), x(r["fast_over_floor"])],
                      ["4 GiB over 16 MiB parent"] + [x(s["rss_growth"][i]) for i in IMPLS],
                      ["same, each over its process's floor"] +
                      [x(s.get("rss_growth_floor_relative", {}).get(i)) for i in IMPLS]]))
    out.append("\nfast over lix with a 4 GiB parent: %s\n" % x(r["fast_over_lix_at_4gib"]))

    call = s.get("call_to_release_us")
    if call:
        out.append("\n## Second headline: call to release (flags family, seed flags)\n")
        out.append("Everything StartChild does from its call to the release, against a floor "
                   "that does the same necessary work with the fewest syscalls (the two etc "
                   "files, the pidfd, the mount and user namespace fds).\n")
        out.append(table(["", "floor_whole", "lix", "fast"],
                         [["call to release, µs"] + [us(call.get(i)) for i in
                                                     ("floor_whole", "lix", "fast")],
                          ["over floor_whole", "1.00x",
                           x(r.get("lix_call_to_release_over_floor")),
                           x(r.get("fast_call_to_release_over_floor"))]]))

    paired = s.get("paired")
    if paired:
        out.append("\n## Start by start (the regression check's ratios)\n")
        out.append("Each iteration starts one of each back to back, in alternating order; the "
                   "median of their ratios (`bench/paired_bench.cc`).\n")
        out.append(table(["ratio", "median"], [[k, x(v)] for k, v in paired.items()]))

    out.append("\n## By namespace flag\n")
    out.append(latency_table("flags", list(s["per_flag_us"]["floor"]), s["per_flag_us"]))
    out.append("\n## By parent resident size\n")
    out.append(latency_table("parent MiB", list(s["parent_rss_us"]["floor"]),
                             s["parent_rss_us"]))
    out.append("\n## By threads starting at once (latency each starter sees)\n")
    out.append(latency_table("threads", list(s["threads_us"]["floor"]), s["threads_us"]))
    out.append("\n## With network namespace churn in the background\n")
    out.append(latency_table("churn", ["off", "on"], s["churn_us"]))

    out.append("\n## Phases (seed flags, µs)\n")
    phases = list(s["phases_us"]["floor"])
    impls = [i for i in ("floor", "floor_whole", "lix", "fast") if i in s["phases_us"]]
    out.append(table(["phase"] + impls,
                     [[p.replace("_us", "")] + [us(s["phases_us"][i].get(p)) for i in impls]
                      for p in phases]))

    out.append("\n## End to end: `/bin/true` in a sandbox, ms\n")
    e = s["end_to_end_ms"]
    rows = []
    for n, v in e.items():
        rows.append([n, "–" if v is None else "%.2f" % v,
                     x(div(v, e.get("bwrap"))), x(div(v, e.get("direct")))])
    out.append(table(["command", "median ms", "over bwrap", "over direct"], rows))
    missing = s.get("end_to_end_unavailable", {})
    if missing:
        out.append("".join("- %s unavailable: %s\n" % kv for kv in missing.items()))
    out.append(phase_section(s))
    out.append(report_run_cost_md.section(s))
    if compare:
        out.append(compare_section(compare))
    if s.get("errors"):
        out.append("## Errors\n")
        out.append("".join("- `%s`: %s\n" % kv for kv in sorted(s["errors"].items())))
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("summary", help="summary.json")
    parser.add_argument("out", help="markdown file to write")
    parser.add_argument("--compare", help="compare_summary.py --json output, if it exists")
    parser.add_argument("--ab", help="ab_compare.py --json output; 'none': no base revision")
    parser.add_argument("--budgets", help="budgets.py --json output")
    args = parser.parse_args()
    with open(args.summary) as f:
        s = json.load(f)
    compare = None
    if args.compare and os.path.exists(args.compare):
        with open(args.compare) as f:
            compare = json.load(f)
    ab = budgets = None
    if args.ab and args.ab != "none":
        with open(args.ab) as f:
            ab = json.load(f)
    if args.budgets:
        with open(args.budgets) as f:
            budgets = json.load(f)
    with open(args.out, "w") as f:
        f.write(render(s, compare, ab, budgets, judged=bool(args.ab)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
