#!/usr/bin/env python3
"""Reads the benchmark JSON of one run (out/bench/*.json) and writes summary.json: the
headline numbers of issue 7, every ratio against the floor measured in the same run, and
the tables the report and plots are drawn from, and the per-repetition samples of every
ratio the regression check compares.

Values are the median over repetitions of the per-start latency counter (latency_us); a
benchmark that failed or was not run is null, with its error under "errors".
"""

import argparse
import json
import os
import platform
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import throughput_stats  # noqa: E402

IMPLS = ("floor", "lix", "fast")
FLAG_SETS = ("none", "user", "pid", "ns", "ipc", "uts", "net", "seed_no_net", "seed")
PHASES = ("setup_us", "clone_us", "maps_us", "files_us", "nsfds_us", "cgroup_us", "release_us",
          "outside_phases_us")
# The call-to-release headline: StartChild's modes against the floor that does the whole
# start's work (bench/floor_start.h), in the flags family's seed case.
CALL_IMPLS = ("floor_whole", "lix", "fast")
# What the issue asks of the implementation (docs/benchmarks.md).
TARGETS = {
    "fast_over_floor": 1.10,
    "fast_call_to_release_over_floor": 1.10,
    "rss_growth_fast": 1.10,
    "sbx_run_over_bwrap": 0.6,
    "sbx_run_over_unshare": 1.0,
    "sbx_run_over_crun": 1.0,
}


def key_of(run_name):
    """'threads/fast/manual_time/threads:4' -> ('threads', 'fast', '4');
    'flags/floor/seed/manual_time' -> ('flags', 'floor', 'seed')."""
    parts = [p for p in run_name.split("/") if p != "manual_time"]
    threads = [p for p in parts if p.startswith("threads:")]
    parts = [p for p in parts if not p.startswith("threads:")]
    if threads:
        parts.append(threads[0].split(":", 1)[1])
    return tuple(parts)


def load_runs(paths, counter="latency_us"):
    """{key: {counter: median}}, {key: error} and {key: [`counter` of each repetition]}
    over all Google Benchmark JSON files."""
    per_rep, medians, errors = {}, {}, {}
    for path in paths:
        try:
            with open(path) as f:
                data = json.load(f)
        except ValueError:  # a family killed mid-run leaves half a file
            errors[os.path.basename(path)] = "unreadable: the run did not finish"
            continue
        for b in data.get("benchmarks", []):
            key = key_of(b["run_name"])
            if b.get("error_occurred"):
                errors["/".join(key)] = b.get("error_message", "error")
                continue
            if b.get("run_type") == "aggregate":
                if b.get("aggregate_name") == "median":
                    medians[key] = b
            else:
                per_rep.setdefault(key, []).append(b)
    values = {}
    for key, reps in per_rep.items():
        src = medians.get(key)
        if src is None:  # one repetition: no aggregates
            src = {c: statistics.median(r[c] for r in reps if c in r)
                   for c in reps[0] if isinstance(reps[0][c], (int, float))}
        values[key] = {c: v for c, v in src.items() if isinstance(v, (int, float))}
    reps = {key: [r[counter] for r in sorted(runs, key=lambda r: r.get("repetition_index", 0))
                  if counter in r]
            for key, runs in per_rep.items()}
    return values, errors, reps


def paired_ratios(reps, num_key, den_key):
    """One ratio per repetition: repetition i of one benchmark over repetition i of another."""
    num = reps.get(tuple(str(k) for k in num_key), [])
    den = reps.get(tuple(str(k) for k in den_key), [])
    return [a / b for a, b in zip(num, den) if b]


# The paired family's benchmarks (bench/paired_bench.cc) and the ratio each measures.
PAIRED = {("paired", "fast", "floor"): "fast_over_floor",
          ("paired", "fast", "floor_whole"): "fast_call_to_release_over_floor",
          ("paired", "lix", "floor"): "lix_over_floor"}


def ratio_samples(reps, call_reps, pair_reps, e2e):
    """The samples of every ratio the regression check compares (bench/compare_summary.py),
    one value per repetition (per round, end to end), so it can see their spread."""
    same_case = (("flags", "seed"), ("parent_rss", "16"), ("threads", "1"), ("churn", "off"))
    out = {}
    for impl in ("fast", "lix"):
        out["ratios.%s_over_floor" % impl] = [
            r for fam, arg in same_case
            for r in paired_ratios(reps, (fam, impl, arg), (fam, "floor", arg))]
        out["rss_growth." + impl] = paired_ratios(
            reps, ("parent_rss", impl, 4096), ("parent_rss", impl, 16))
    for key, name in PAIRED.items():
        out["paired." + name] = pair_reps.get(key, [])
    out["ratios.fast_call_to_release_over_floor"] = paired_ratios(
        call_reps, ("flags", "fast", "seed"), ("flags", "floor_whole", "seed"))
    out["ratios.fast_over_lix_at_4gib"] = paired_ratios(
        reps, ("parent_rss", "fast", 4096), ("parent_rss", "lix", 4096))
    rounds = {n: c.get("samples_ms", []) for n, c in e2e.get("commands", {}).items()}
    for peer in ("bwrap", "unshare", "crun", "floor_run"):
        out["end_to_end_ratios.sbx_run_over_" + peer] = [
            a / b for a, b in zip(rounds.get("sbx_run", []), rounds.get(peer, [])) if b]
    return out


def end_to_end_phases(e2e):
    """The phase split of the traced end-to-end runs (bench/phase_split.py): per tool, the
    median ms of each phase over rounds and of the traced runs' total (the medians of the
    phases need not add up to the median total); and how it was measured."""
    ph = e2e.get("phases", {})
    order = ph.get("order", []) + ["total"]
    tools = ph.get("tools", {})
    ms = {t: {p: tools[t].get("median_ms", {}).get(p) for p in order} for t in tools}
    info = {"rounds": ph.get("rounds"), "order": order,
            "unavailable": e2e.get("phases_unavailable"),
            "runs": {t: v.get("runs") for t, v in tools.items()},
            "failures": {t: v.get("failures") for t, v in tools.items()},
            "left_running": {t: v.get("left_running") for t, v in tools.items()}}
    return ms, info


def lat(values, *key):
    v = values.get(tuple(str(k) for k in key))
    return None if v is None else v.get("latency_us")


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def summarize(bench_dir, quick):
    paths = sorted(os.path.join(bench_dir, n) for n in os.listdir(bench_dir)
                   if n.endswith(".json") and n not in ("summary.json", "end_to_end.json",
                                                              "throughput.json"))
    values, errors, reps = load_runs(paths)
    call_reps = load_runs(paths, "call_to_release_us")[2]
    pair_reps = load_runs(paths, "pair_ratio")[2]

    # Four families measure the headline case (seed flags, small parent, one starter, no
    # churn), each against its own floor in the same process. The headline takes, per
    # implementation, the median of the four latencies and, per ratio, the median of the four
    # in-process ratios: one noisy family on a shared machine does not move it.
    same_case = (("flags", "seed"), ("parent_rss", "16"), ("threads", "1"), ("churn", "off"))
    samples = {i: [lat(values, fam, i, arg) for fam, arg in same_case] for i in IMPLS}

    def median_of(vals):
        vals = [v for v in vals if v is not None]
        return statistics.median(vals) if vals else None

    def in_process_ratio(impl):
        return median_of(ratio(a, b) for a, b in zip(samples[impl], samples["floor"]))

    seed = {i: median_of(samples[i]) for i in IMPLS}
    rss = {i: {m: lat(values, "parent_rss", i, m) for m in (16, 256, 1024, 4096)}
           for i in IMPLS}
    s = {
        "quick": quick,
        "host": {"kernel": platform.release(), "cpus": os.cpu_count()},
        "clone_to_release_us": seed,
        "call_to_release_us": {
            i: values.get(("flags", i, "seed"), {}).get("call_to_release_us") for i in CALL_IMPLS},
        "ratios": {
            "fast_over_floor": in_process_ratio("fast"),
            "lix_over_floor": in_process_ratio("lix"),
            "fast_over_lix_at_4gib": ratio(rss["fast"][4096], rss["lix"][4096]),
        },
        "rss_growth": {i: ratio(rss[i][4096], rss[i][16]) for i in IMPLS},
        # The same, each latency taken relative to the floor of its own process (the sizes
        # run in separate processes; the floor does not depend on the parent's size).
        "rss_growth_floor_relative": {
            i: ratio(ratio(rss[i][4096], rss["floor"][4096]), ratio(rss[i][16], rss["floor"][16]))
            for i in IMPLS},
        "per_flag_us": {i: {f: lat(values, "flags", i, f) for f in FLAG_SETS} for i in IMPLS},
        "parent_rss_us": {i: {str(m): v for m, v in rss[i].items()} for i in IMPLS},
        "threads_us": {i: {str(n): lat(values, "threads", i, n) for n in (1, 2, 4, 8)}
                       for i in IMPLS},
        "churn_us": {i: {c: lat(values, "churn", i, c) for c in ("off", "on")} for i in IMPLS},
        "phases_us": {i: {p: values.get(("flags", i, "seed"), {}).get(p) for p in PHASES}
                      for i in IMPLS + ("floor_whole",)},
        "errors": errors,
    }
    call = s["call_to_release_us"]
    s["ratios"]["fast_call_to_release_over_floor"] = ratio(call["fast"], call["floor_whole"])
    s["ratios"]["lix_call_to_release_over_floor"] = ratio(call["lix"], call["floor_whole"])
    s["ratios"]["churn_on_over_off"] = {
        i: ratio(s["churn_us"][i]["on"], s["churn_us"][i]["off"]) for i in IMPLS}

    e2e_path = os.path.join(bench_dir, "end_to_end.json")
    e2e = {}
    if os.path.exists(e2e_path):
        with open(e2e_path) as f:
            e2e = json.load(f)
    med = {n: c.get("median_ms") for n, c in e2e.get("commands", {}).items()}
    s["end_to_end_ms"] = {n: med.get(n) for n in
                          ("sbx_run", "sbx_run_lix", "floor_run", "bwrap", "unshare", "crun",
                           "sbx_exec_only", "direct")}
    s["end_to_end_unavailable"] = e2e.get("unavailable", {})
    s["end_to_end_ratios"] = {
        "sbx_run_over_" + p: ratio(med.get("sbx_run"), med.get(p))
        for p in ("bwrap", "unshare", "crun", "direct", "floor_run")}

    # The medians of the paired family's per-repetition ratios (what the check compares).
    s["paired"] = {name: values.get(key, {}).get("pair_ratio") for key, name in PAIRED.items()}
    s["samples"] = ratio_samples(reps, call_reps, pair_reps, e2e)
    s["end_to_end_phases_ms"], s["end_to_end_phases"] = end_to_end_phases(e2e)
    # Round by round (issue 30's targets are paired medians): sbx run over each peer.
    s["end_to_end_paired"] = {
        name.split(".", 1)[1]: throughput_stats.median_or_none(v)
        for name, v in s["samples"].items() if name.startswith("end_to_end_ratios.")}
    s["end_to_end_phases_over_floor"] = phases_over_floor(s["end_to_end_phases_ms"])
    s["throughput"], s["throughput_run"] = throughput_of(bench_dir)

    # The targets read the paired family where it ran: start by start, the same quantity
    # with the load's drift between the families' repetitions taken out.
    def paired_or(name):
        v = s["paired"].get(name)
        return v if v is not None else s["ratios"][name]

    checks = {
        "fast_over_floor": paired_or("fast_over_floor"),
        "fast_call_to_release_over_floor": paired_or("fast_call_to_release_over_floor"),
        "rss_growth_fast": s["rss_growth"]["fast"],
        "sbx_run_over_bwrap": s["end_to_end_ratios"]["sbx_run_over_bwrap"],
        "sbx_run_over_unshare": s["end_to_end_ratios"]["sbx_run_over_unshare"],
        "sbx_run_over_crun": s["end_to_end_ratios"]["sbx_run_over_crun"],
    }
    s["targets"] = {
        name: {"value": v, "at_most": TARGETS[name],
               "met": None if v is None else v <= TARGETS[name]}
        for name, v in checks.items()}
    # Issue 30's targets: the whole run against its floor, CPU and throughput (informational).
    s["issue30_targets"] = throughput_stats.check_targets(s)
    return s


def phases_over_floor(ms):
    """Per phase of the traced runs: sbx run's median minus the floor's (ms) and over it."""
    sbx, floor = ms.get("sbx_run") or {}, ms.get("floor_run") or {}
    return {p: {"minus_ms": None if sbx.get(p) is None or floor.get(p) is None
                else sbx[p] - floor[p], "over": ratio(sbx.get(p), floor.get(p))}
            for p in sbx if p in floor}


def throughput_of(bench_dir):
    """The throughput family's summary (bench/throughput.py) and how it ran, or {} twice."""
    path = os.path.join(bench_dir, "throughput.json")
    if not os.path.exists(path):
        return {}, {}
    try:
        with open(path) as f:
            tp = json.load(f)
    except ValueError:
        return {}, {"error": "unreadable: the run did not finish"}
    return tp.get("summary", {}), {k: tp.get(k) for k in ("machine", "levels", "unavailable",
                                                           "warnings", "settings")}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("bench_dir", help="directory holding the run's JSON (out/bench)")
    parser.add_argument("--quick", action="store_true", help="record that the run was quick")
    args = parser.parse_args()
    s = summarize(args.bench_dir, args.quick)
    with open(os.path.join(args.bench_dir, "summary.json"), "w") as f:
        json.dump(s, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
