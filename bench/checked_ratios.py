"""The ratios a regression check judges, with each one's minimum effect and the families
that measure it. Shared by the A/B check (ab_compare.py, base and change on this machine)
and the history view (compare_summary.py, against recorded numbers).

Every checked ratio is "lower is better" and divides two things measured in the same run
(a floor or a peer), never a bare time.
"""

# Ratio path -> minimum relative increase worth failing CI for. fast over the floor is the
# product's headline, from the clone and from the call to the release: a 10% regression
# (the injected cost, docs/benchmarks.md) must count. The start ratios are the paired
# family's (bench/paired_bench.cc): each sample is the median over one repetition of
# start-by-start ratios, which a changing load moves far less than a ratio of two means.
# lix forks the whole parent and moves with the machine's load. Growth with the parent's
# size and fast over lix at 4 GiB compare two processes or a fork, which move by several
# times with the load here; they exist to catch fast falling back to a fork (about 100x).
# The end-to-end ratios divide two process spawns.
MIN_EFFECT = {
    "paired.fast_over_floor": 0.05,
    "paired.fast_call_to_release_over_floor": 0.05,
    "paired.lix_over_floor": 0.25,
    "ratios.fast_over_lix_at_4gib": 1.0,
    "rss_growth.fast": 1.0,
    "rss_growth.lix": 1.0,
    "end_to_end_ratios.sbx_run_over_bwrap": 0.15,
    "end_to_end_ratios.sbx_run_over_unshare": 0.15,
    "end_to_end_ratios.sbx_run_over_crun": 0.15,
}

# Ratio path -> the bench/run_all.sh families that measure it (what a re-run repeats).
FAMILIES = {
    "paired.fast_over_floor": ["paired"],
    "paired.fast_call_to_release_over_floor": ["paired"],
    "paired.lix_over_floor": ["paired"],
    "ratios.fast_over_lix_at_4gib": ["parent_rss_4096"],
    "rss_growth.fast": ["parent_rss_16", "parent_rss_4096"],
    "rss_growth.lix": ["parent_rss_16", "parent_rss_4096"],
    "end_to_end_ratios.sbx_run_over_bwrap": ["end_to_end"],
    "end_to_end_ratios.sbx_run_over_unshare": ["end_to_end"],
    "end_to_end_ratios.sbx_run_over_crun": ["end_to_end"],
}

# Every family some checked ratio reads, in the order bench/run_all.sh runs them.
JUDGED_FAMILIES = ["paired", "parent_rss_16", "parent_rss_4096", "end_to_end"]

RUNS_TO_DECIDE = 3  # the first run and up to two re-runs; the majority decides


def majority(alarmed):
    """The verdict of the runs so far (True: that run alarmed): "regression" or "ok" once a
    majority of RUNS_TO_DECIDE agrees (or the first run clears), else "undecided"; and a
    note saying how many runs it took."""
    alarms = sum(1 for a in alarmed if a)
    clears = len(alarmed) - alarms
    if len(alarmed) == 1 and clears:
        return "ok", ""
    if alarms * 2 > RUNS_TO_DECIDE:
        return "regression", "in %d of %d runs" % (alarms, len(alarmed))
    if clears * 2 > RUNS_TO_DECIDE:
        return "ok", "suspected, cleared in %d of %d runs" % (clears, len(alarmed))
    return "undecided", "suspected in %d of %d runs" % (alarms, len(alarmed))


def pct(v):
    return "%+.1f%%" % (v * 100)


def one_line_summary(decisions, against):
    """How many ratios regressed against `against`, which, and the re-runs it took."""
    bad = [d["ratio"] for d in decisions if d["verdict"] == "regression"]
    cleared = [d for d in decisions if d["verdict"] == "ok" and d["reruns"]]
    reruns = max([d["reruns"] for d in decisions] + [0])
    judged = sum(1 for d in decisions if d["verdict"] != "not compared")
    text = "%d of %d ratios regressed against %s" % (len(bad), judged, against)
    if bad:
        text += ": " + ", ".join(bad)
    if cleared:
        text += "; %d suspected and cleared" % len(cleared)
    return text + "; %d re-run(s)" % reruns
