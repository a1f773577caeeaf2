"""The report's section on what a whole `sbx run` costs (issue 30), as markdown: the issue's
targets (met or not, with the numbers), sbx run against its floor (bench/floor_run.cc) per
phase, CPU per run for the whole machine, runs per second with N at once, and what was left
behind. Reads summary.json's end_to_end_paired, end_to_end_phases_over_floor, throughput
and issue30_targets (bench/summarize.py, bench/throughput_stats.py)."""

TOOLS = ("sbx_run", "sbx_run_lix", "floor_run", "bwrap", "unshare", "crun")


def _table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out) + "\n"


def _x(v):
    return "–" if v is None else "%.2fx" % v


def _ms(v, fmt="%.2f"):
    return "–" if v is None else fmt % v


def targets_table(targets):
    rows = []
    for t in targets.values():
        bound = ("≤ %.2fx" if t["kind"] == "at_most" else "≥ %.2fx") % t["bound"]
        met = "not measured" if t["met"] is None else ("met" if t["met"] else "**not met**")
        rows.append([t["label"], _x(t["value"]), bound, met])
    return _table(["target (issue 30)", "measured", "budget", "verdict"], rows)


def floor_phase_table(s):
    over = s.get("end_to_end_phases_over_floor") or {}
    ms = s.get("end_to_end_phases_ms") or {}
    if not over:
        return "Not measured (no floor, or no phase split).\n"
    rows = [[p, _ms(ms["sbx_run"].get(p)), _ms(ms["floor_run"].get(p)),
             "–" if v["minus_ms"] is None else "%+.2f" % v["minus_ms"], _x(v["over"])]
            for p, v in over.items()]
    return _table(["phase", "sbx run ms", "floor ms", "sbx − floor", "sbx / floor"], rows)


def cpu_table(tp):
    tools = [t for t in TOOLS if t in tp.get("cpu_ms", {})]
    rows = [[t, _ms(tp["cpu_ms"].get(t)), _ms(tp.get("cpu_gross_ms", {}).get(t)),
             _ms(tp.get("rusage_ms", {}).get(t)), _ms(tp.get("wall_ms", {}).get(t)),
             _x(tp.get("cpu_ratios", {}).get("%s_over_bwrap" % t)) if t != "bwrap" else "1.00x",
             _x(tp.get("cpu_ratios", {}).get("%s_over_floor_run" % t))
             if t != "floor_run" else "1.00x"] for t in tools]
    return _table(["tool", "CPU ms/run (net)", "gross", "rusage", "wall ms/run", "CPU over bwrap",
                   "CPU over floor"], rows)


def throughput_table(tp):
    levels = list(tp.get("runs_per_s", {}))
    if not levels:
        return "Not measured.\n"
    header = ["tool"]
    for lvl in levels:
        n = tp["concurrency"][lvl]
        header += ["runs/s, %d at once" % n, "over bwrap", "CPU ms/run"]
    tools = [t for t in TOOLS if any(t in tp["runs_per_s"][lvl] for lvl in levels)]
    rows = []
    for t in tools:
        row = [t]
        for lvl in levels:
            ratio = 1.0 if t == "bwrap" else tp["runs_per_s_ratios"][lvl].get(
                "%s_over_bwrap" % t)
            row += [_ms(tp["runs_per_s"][lvl].get(t), "%.0f"), _x(ratio),
                    _ms(tp.get("concurrent_cpu_ms", {}).get(lvl, {}).get(t))]
        rows.append(row)
    return _table(header, rows)


def left_behind(tp):
    left = tp.get("left_behind") or {}
    if not left:
        return ""
    if not left.get("entries") and not left.get("strays"):
        note = "Nothing left behind: no new sbx-* entry in the private /dev/shm or $TMPDIR, " \
               "no stray process"
        if left.get("unattributed"):
            note += " (%d new in the shared /tmp, maybe another user's)" % len(
                left["unattributed"])
        return note + ".\n"
    items = ["`%s` (after %s)" % (e["path"], e["after"]) for e in left.get("entries", [])]
    items += ["process %d (after %s)" % (p["pid"], p["after"]) for p in left.get("strays", [])]
    return "**Left behind**: " + "; ".join(items) + ".\n"


def section(s):
    out = ["\n## What a whole `sbx run` costs (issue 30)\n"]
    targets = s.get("issue30_targets")
    if targets:
        out.append("The issue's targets as budgets, informational: a target not met fails "
                   "nothing. Wall ratios are medians of round-by-round ratios (end to end).\n")
        out.append(targets_table(targets))
    paired = s.get("end_to_end_paired") or {}
    if paired.get("sbx_run_over_floor_run") is not None:
        out.append("\nsbx run over its floor (`bench/floor_run`, the same work in one straight "
                   "line), round by round: **%s** (over unshare %s, over bwrap %s).\n" % (
                       _x(paired["sbx_run_over_floor_run"]),
                       _x(paired.get("sbx_run_over_unshare")),
                       _x(paired.get("sbx_run_over_bwrap"))))
    out.append("\n### sbx run against its floor, by phase (traced runs, medians)\n")
    out.append(floor_phase_table(s))
    tp = s.get("throughput") or {}
    out.append("\n### CPU per run, whole machine (runs in a row)\n")
    if tp.get("cpu_ms"):
        out.append("Busy CPU of the whole machine (/proc/stat) over blocks of runs in a row, "
                   "per run; net takes off the background measured in an idle block of the "
                   "same round (%s CPUs busy without us). rusage: what wait4 reports for the "
                   "tool's processes alone. Medians over %d rounds.\n" % (
                       _ms(tp.get("background_cpus")), tp.get("cpu_rounds", 0)))
        if tp.get("cpu_busy_rounds"):
            out.append("%d of %d rounds left out of the net numbers: over half the CPUs were "
                       "busy without us.\n" % (tp["cpu_busy_rounds"], tp["cpu_rounds"]))
        out.append(cpu_table(tp))
    else:
        out.append("Not measured (the throughput family did not run).\n")
    out.append("\n### Throughput: runs per second with N at once\n")
    out.append(throughput_table(tp))
    out.append(left_behind(tp))
    run = s.get("throughput_run") or {}
    machine = run.get("machine") or {}
    if machine.get("loadavg_start"):
        out.append("Load average %.2f at the start of the family, %.2f at its end.\n" % (
            machine["loadavg_start"][0], (machine.get("loadavg_end") or [0])[0]))
    missing = run.get("unavailable") or {}
    if missing:
        out.append("".join("- %s unavailable: %s\n" % kv for kv in missing.items()))
    return "\n".join(out)
