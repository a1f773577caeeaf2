"""The numbers of the throughput family (bench/throughput.py), from raw block records to
its summary: CPU per run for the whole machine (from /proc/stat), runs per second with N
runs in flight, and each tool over bwrap and over the floor, paired by round.

Pure functions on plain data, so that bench/throughput_stats_test.py can hold each to
known answers.

A block is one tool's stretch of runs (in a row, or N at once), recorded as a dict:
  tool, runs, failures, wall_s (first spawn to last reap), busy_s (the whole machine's
  busy CPU seconds over the block, /proc/stat), and for in-a-row blocks rusage_s (the CPU
  of the tool's own process and the children it waited for, from wait4).
An idle block (tool "idle") is a sleep, measuring what the rest of the machine burns
meanwhile (busy_s over wall_s): the background rate subtracted from the blocks of its round.
"""

import statistics

# /proc/stat's "cpu" line: user nice system idle iowait irq softirq steal guest guest_nice.
# Busy is everything but idle and iowait; guest time is already inside user (and nice).
BUSY_FIELDS = ("user", "nice", "system", "irq", "softirq", "steal")
FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest",
          "guest_nice")

# The targets (issue 30): (summary value, bound, "at_most" or "at_least", label).
TARGETS = {
    "sbx_run_over_floor_run": ("end_to_end_paired.sbx_run_over_floor_run", 1.10, "at_most",
                               "sbx run wall over its own floor (end to end, /bin/true)"),
    "sbx_run_over_unshare_issue30": ("end_to_end_paired.sbx_run_over_unshare", 1.0, "at_most",
                                     "sbx run wall over unshare"),
    "cpu_per_run_sbx_over_bwrap": ("throughput.cpu_ratios.sbx_run_over_bwrap", 0.8, "at_most",
                                   "CPU per run, whole machine, sbx run over bwrap"),
    "throughput_sbx_over_bwrap_at_cores": (
        "throughput.runs_per_s_ratios.cores.sbx_run_over_bwrap", 1.3, "at_least",
        "runs per second, as many at once as cores, sbx run over bwrap"),
    "throughput_sbx_over_bwrap_at_8x_cores": (
        "throughput.runs_per_s_ratios.8x_cores.sbx_run_over_bwrap", 1.3, "at_least",
        "runs per second, 8x as many at once as cores, sbx run over bwrap"),
}


def parse_proc_stat(text):
    """The aggregate "cpu" line of /proc/stat as {field: jiffies}; fields the kernel does
    not print (older kernels lack steal, guest, guest_nice) are 0."""
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] == "cpu":
            values = [int(v) for v in parts[1:]]
            return {f: (values[i] if i < len(values) else 0) for i, f in enumerate(FIELDS)}
    raise ValueError("no aggregate cpu line in /proc/stat")


def busy_seconds(before, after, ticks_per_s):
    """Busy CPU seconds of the whole machine between two parse_proc_stat() readings."""
    if ticks_per_s <= 0:
        raise ValueError("ticks per second must be positive")
    return sum(after[f] - before[f] for f in BUSY_FIELDS) / ticks_per_s


def background_rate(idle_blocks):
    """CPU seconds per second the machine burns without us: the median over idle blocks
    (a sleep each), or 0.0 without any."""
    rates = [b["busy_s"] / b["wall_s"] for b in idle_blocks if b["wall_s"] > 0]
    return statistics.median(rates) if rates else 0.0


def cpu_per_run_ms(block, bg_rate):
    """(gross, net) whole-machine CPU ms per successful run of a block; net takes off what
    the rest of the machine burnt meanwhile at bg_rate, and is never below 0."""
    ok = block["runs"] - block.get("failures", 0)
    if ok <= 0:
        return None, None
    gross = block["busy_s"] / ok * 1e3
    net = max(0.0, (block["busy_s"] - bg_rate * block["wall_s"]) / ok * 1e3)
    return gross, net


def runs_per_s(block):
    """Successful runs per second of wall time over the block."""
    ok = block["runs"] - block.get("failures", 0)
    return ok / block["wall_s"] if block["wall_s"] > 0 and ok > 0 else None


def median_or_none(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def paired_ratio(per_round, num, den):
    """The median over rounds of num's value over den's in the same round (rounds where
    either is missing or den is 0 are skipped); per_round: [{tool: value}]."""
    return median_or_none(r[num] / r[den] for r in per_round
                          if r.get(num) is not None and r.get(den))


def by_round(blocks, value):
    """[{tool: value(block)}] per round, for the blocks that carry a "round"."""
    rounds = {}
    for b in blocks:
        rounds.setdefault(b["round"], {})[b["tool"]] = value(b)
    return [rounds[k] for k in sorted(rounds)]


def ratios_over(per_round, tools, peers):
    return {"%s_over_%s" % (t, p): paired_ratio(per_round, t, p)
            for t in tools for p in peers if t != p}


# A round whose idle block found more than this share of the CPUs busy without us says
# nothing of our CPU: the others then yield to our runs, and what they would have burnt
# cannot be told from what we did. Its net numbers are left out ("busy_rounds").
MAX_BACKGROUND_SHARE = 0.5


def summarize_cpu(blocks, cpus=None):
    """From the in-a-row blocks (with idle blocks among them): per tool the median CPU ms
    per run (net and gross), rusage ms per run and wall ms per run; each round's background
    is its own idle block's rate. Ratios are paired by round. With `cpus`, rounds whose
    background exceeds MAX_BACKGROUND_SHARE of them are left out of the net numbers."""
    rounds = sorted({b["round"] for b in blocks})
    tools = sorted({b["tool"] for b in blocks if b["tool"] != "idle"})
    net, gross, busy = [], [], 0
    for r in rounds:
        in_round = [b for b in blocks if b["round"] == r]
        bg = background_rate([b for b in in_round if b["tool"] == "idle"])
        if cpus and bg > MAX_BACKGROUND_SHARE * cpus:
            busy += 1
            continue
        net.append({b["tool"]: cpu_per_run_ms(b, bg)[1] for b in in_round if b["tool"] != "idle"})
        gross.append({b["tool"]: cpu_per_run_ms(b, bg)[0] for b in in_round
                      if b["tool"] != "idle"})

    def per_run(b, key):
        ok = b["runs"] - b.get("failures", 0)
        return b[key] / ok * 1e3 if ok > 0 and b.get(key) is not None else None

    work = [b for b in blocks if b["tool"] != "idle"]
    idle = [b for b in blocks if b["tool"] == "idle"]
    return {
        "cpu_ms": {t: median_or_none(r.get(t) for r in net) for t in tools},
        "cpu_gross_ms": {t: median_or_none(r.get(t) for r in gross) for t in tools},
        "rusage_ms": {t: median_or_none(per_run(b, "rusage_s") for b in work if b["tool"] == t)
                      for t in tools},
        "wall_ms": {t: median_or_none(per_run(b, "wall_s") for b in work if b["tool"] == t)
                    for t in tools},
        "background_cpus": median_or_none(b["busy_s"] / b["wall_s"] for b in idle
                                          if b["wall_s"] > 0),
        "cpu_ratios": ratios_over(net, tools, ("bwrap", "unshare", "floor_run")),
        "rounds": len(rounds),
        "busy_rounds": busy,
    }


def summarize_concurrent(blocks):
    """From the blocks run with N at once: per level ("cores", "8x_cores") the concurrency,
    the median runs per second and gross CPU ms per run of each tool, and paired ratios."""
    out = {}
    levels = {b["level"]: b["concurrency"] for b in blocks}
    for level in sorted(levels, key=levels.get):
        these = [b for b in blocks if b["level"] == level]
        tools = sorted({b["tool"] for b in these})
        rate = by_round(these, runs_per_s)
        out[level] = {
            "concurrency": these[0]["concurrency"],
            "runs_per_s": {t: median_or_none(r.get(t) for r in rate) for t in tools},
            "cpu_ms": {t: median_or_none(cpu_per_run_ms(b, 0.0)[0] for b in these
                                         if b["tool"] == t) for t in tools},
            "failures": {t: sum(b.get("failures", 0) for b in these if b["tool"] == t)
                         for t in tools},
            "ratios": ratios_over(rate, tools, ("bwrap", "floor_run")),
        }
    return out


def value_at(summary, path):
    node = summary
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node if isinstance(node, (int, float)) and not isinstance(node, bool) else None


def check_targets(summary):
    """The issue's targets against a summary.json-shaped dict: {name: {value, bound, kind,
    label, met}}; met is None where the value was not measured. Informational only."""
    out = {}
    for name, (path, bound, kind, label) in TARGETS.items():
        v = value_at(summary, path)
        met = None if v is None else (v <= bound if kind == "at_most" else v >= bound)
        out[name] = {"value": v, "bound": bound, "kind": kind, "label": label, "met": met}
    return out


def family_summary(cpu_blocks, concurrent_blocks, leftovers, cpus=None):
    """What summary.json keeps of the family ("throughput"): CPU and wall per run in a row,
    runs per second per level, their ratios, and what was left behind."""
    cpu = summarize_cpu(cpu_blocks, cpus) if cpu_blocks else {}
    conc = summarize_concurrent(concurrent_blocks) if concurrent_blocks else {}
    return {
        "cpu_ms": cpu.get("cpu_ms", {}),
        "cpu_gross_ms": cpu.get("cpu_gross_ms", {}),
        "rusage_ms": cpu.get("rusage_ms", {}),
        "wall_ms": cpu.get("wall_ms", {}),
        "background_cpus": cpu.get("background_cpus"),
        "cpu_ratios": cpu.get("cpu_ratios", {}),
        "cpu_rounds": cpu.get("rounds", 0),
        "cpu_busy_rounds": cpu.get("busy_rounds", 0),
        "concurrency": {lvl: c["concurrency"] for lvl, c in conc.items()},
        "runs_per_s": {lvl: c["runs_per_s"] for lvl, c in conc.items()},
        "concurrent_cpu_ms": {lvl: c["cpu_ms"] for lvl, c in conc.items()},
        "concurrent_failures": {lvl: c["failures"] for lvl, c in conc.items()},
        "runs_per_s_ratios": {lvl: c["ratios"] for lvl, c in conc.items()},
        "left_behind": leftovers,
    }
