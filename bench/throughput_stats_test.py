#!/usr/bin/python3
"""The throughput family's numbers (bench/throughput_stats.py, bench/leftovers.py) on
synthetic input with known answers: /proc/stat parsing and busy CPU, CPU per run with the
background taken off, runs per second, ratios paired by round, the issue's targets (at
most and at least), leftovers and stray processes; then summarize.py and the report
section on a synthetic run with a floor and a throughput family. Runs nothing, needs no
root."""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import leftovers  # noqa: E402
import report_run_cost_md  # noqa: E402
import summarize  # noqa: E402
import throughput_stats as ts  # noqa: E402

STAT = """cpu  1000 20 300 5000 40 5 6 7 8 9
cpu0 500 10 150 2500 20 2 3 3 4 4
intr 12345
"""


def stat(**fields):
    base = dict.fromkeys(ts.FIELDS, 0)
    base.update(fields)
    return base


class ProcStatTest(unittest.TestCase):
    def test_parses_the_aggregate_line(self):
        s = ts.parse_proc_stat(STAT)
        self.assertEqual(s["user"], 1000)
        self.assertEqual(s["idle"], 5000)
        self.assertEqual(s["steal"], 7)
        self.assertEqual(s["guest_nice"], 9)

    def test_an_old_kernel_without_steal_and_guest_reads_zero(self):
        s = ts.parse_proc_stat("cpu 1 2 3 4 5 6 7\n")
        self.assertEqual((s["softirq"], s["steal"], s["guest"]), (7, 0, 0))

    def test_no_cpu_line_is_an_error(self):
        with self.assertRaises(ValueError):
            ts.parse_proc_stat("cpu0 1 2 3 4\n")

    def test_busy_counts_all_but_idle_and_iowait(self):
        before = stat(user=100, system=50, idle=1000, iowait=10)
        after = stat(user=150, nice=2, system=70, idle=5000, iowait=900, irq=1, softirq=2,
                     steal=5, guest=40)
        # 50 + 2 + 20 + 1 + 2 + 5 = 80 ticks; guest is inside user already.
        self.assertAlmostEqual(ts.busy_seconds(before, after, 100), 0.80)
        with self.assertRaises(ValueError):
            ts.busy_seconds(before, after, 0)


class PerRunTest(unittest.TestCase):
    def test_background_is_the_median_rate_of_the_idle_blocks(self):
        idle = [{"busy_s": 0.9, "wall_s": 1.0}, {"busy_s": 0.1, "wall_s": 1.0},
                {"busy_s": 0.6, "wall_s": 2.0}]
        self.assertAlmostEqual(ts.background_rate(idle), 0.3)
        self.assertEqual(ts.background_rate([]), 0.0)

    def test_cpu_per_run_takes_the_background_off(self):
        block = {"runs": 100, "failures": 0, "busy_s": 0.6, "wall_s": 0.5}
        gross, net = ts.cpu_per_run_ms(block, 0.4)
        self.assertAlmostEqual(gross, 6.0)
        self.assertAlmostEqual(net, 4.0)  # (0.6 - 0.4 * 0.5) / 100
        self.assertEqual(ts.cpu_per_run_ms(block, 5.0)[1], 0.0)  # never below zero

    def test_failed_runs_do_not_count(self):
        block = {"runs": 10, "failures": 5, "busy_s": 0.05, "wall_s": 0.1}
        self.assertAlmostEqual(ts.cpu_per_run_ms(block, 0.0)[0], 10.0)
        self.assertAlmostEqual(ts.runs_per_s(block), 50.0)
        self.assertEqual(ts.cpu_per_run_ms(dict(block, failures=10), 0.0), (None, None))
        self.assertIsNone(ts.runs_per_s(dict(block, failures=10)))


def cpu_blocks():
    """Two rounds: sbx 4 ms and bwrap 5 ms a run plus 1 CPU of background in round 0;
    3 and 6 ms in round 1 with none."""
    out = []
    for r, bg, sbx, bwrap in ((0, 1.0, 4.0, 5.0), (1, 0.0, 3.0, 6.0)):
        out.append({"round": r, "tool": "idle", "runs": 0, "busy_s": bg * 0.5, "wall_s": 0.5})
        for tool, ms in (("sbx_run", sbx), ("bwrap", bwrap)):
            wall = 0.2
            out.append({"round": r, "tool": tool, "runs": 100, "failures": 0, "wall_s": wall,
                        "busy_s": ms * 100 / 1e3 + bg * wall, "rusage_s": ms * 0.05})
    return out


class SummaryTest(unittest.TestCase):
    def test_cpu_summary_and_paired_ratio(self):
        s = ts.summarize_cpu(cpu_blocks())
        self.assertAlmostEqual(s["cpu_ms"]["sbx_run"], 3.5)
        self.assertAlmostEqual(s["cpu_ms"]["bwrap"], 5.5)
        self.assertAlmostEqual(s["cpu_gross_ms"]["sbx_run"], 4.5)  # (6 + 3) / 2
        self.assertAlmostEqual(s["rusage_ms"]["bwrap"], 2.75)
        self.assertAlmostEqual(s["wall_ms"]["sbx_run"], 2.0)
        self.assertAlmostEqual(s["background_cpus"], 0.5)
        # Round by round: 4/5 and 3/6, median 0.65 (a ratio of the medians would be 0.636).
        self.assertAlmostEqual(s["cpu_ratios"]["sbx_run_over_bwrap"], 0.65)
        self.assertEqual(s["rounds"], 2)

    def test_a_round_on_a_saturated_machine_is_left_out(self):
        blocks = cpu_blocks()
        # Round 0's background is 1.0 CPU: more than half of 2 CPUs? No; of 1.5 CPUs, yes.
        self.assertEqual(ts.summarize_cpu(blocks, cpus=2)["busy_rounds"], 0)
        s = ts.summarize_cpu(blocks, cpus=1.5)
        self.assertEqual(s["busy_rounds"], 1)
        self.assertAlmostEqual(s["cpu_ms"]["sbx_run"], 3.0)  # round 1 alone
        self.assertAlmostEqual(s["cpu_ratios"]["sbx_run_over_bwrap"], 0.5)
        saturated = [dict(b, busy_s=b["wall_s"] * 2) if b["tool"] == "idle" else b
                     for b in blocks]
        s = ts.summarize_cpu(saturated, cpus=2)
        self.assertEqual((s["busy_rounds"], s["cpu_ms"]["sbx_run"]), (2, None))
        self.assertIsNone(s["cpu_ratios"]["sbx_run_over_bwrap"])

    def test_paired_ratio_skips_rounds_without_both(self):
        rounds = [{"a": 2.0, "b": 1.0}, {"a": 3.0}, {"a": 1.0, "b": 0}, {"a": 4.0, "b": 2.0}]
        self.assertAlmostEqual(ts.paired_ratio(rounds, "a", "b"), 2.0)
        self.assertIsNone(ts.paired_ratio([{"a": 1.0}], "a", "b"))

    def test_concurrent_levels_in_order_with_ratios(self):
        blocks = []
        for r in (0, 1):
            for level, n, rate in (("8x_cores", 16, 2.0), ("cores", 2, 1.0)):
                for tool, speed in (("sbx_run", 1.5), ("bwrap", 1.0)):
                    blocks.append({"round": r, "level": level, "concurrency": n, "tool": tool,
                                   "runs": 100, "failures": 0, "busy_s": 0.4,
                                   "wall_s": 100 / (100 * rate * speed)})
        out = ts.summarize_concurrent(blocks)
        self.assertEqual(list(out), ["cores", "8x_cores"])
        self.assertAlmostEqual(out["cores"]["runs_per_s"]["sbx_run"], 150.0)
        self.assertAlmostEqual(out["8x_cores"]["runs_per_s"]["bwrap"], 200.0)
        self.assertAlmostEqual(out["8x_cores"]["ratios"]["sbx_run_over_bwrap"], 1.5)
        self.assertAlmostEqual(out["cores"]["cpu_ms"]["bwrap"], 4.0)

    def test_targets_at_most_and_at_least(self):
        s = {"end_to_end_paired": {"sbx_run_over_floor_run": 1.2, "sbx_run_over_unshare": 0.9},
             "throughput": {"cpu_ratios": {"sbx_run_over_bwrap": 0.8},
                            "runs_per_s_ratios": {"cores": {"sbx_run_over_bwrap": 1.29},
                                                  "8x_cores": {}}}}
        t = ts.check_targets(s)
        self.assertFalse(t["sbx_run_over_floor_run"]["met"])
        self.assertTrue(t["sbx_run_over_unshare_issue30"]["met"])
        self.assertTrue(t["cpu_per_run_sbx_over_bwrap"]["met"])  # the bound itself meets
        self.assertFalse(t["throughput_sbx_over_bwrap_at_cores"]["met"])
        self.assertIsNone(t["throughput_sbx_over_bwrap_at_8x_cores"]["met"])
        self.assertEqual(t["throughput_sbx_over_bwrap_at_cores"]["kind"], "at_least")


class LeftoversTest(unittest.TestCase):
    def test_new_entries_but_not_ours(self):
        before = {"/dev/shm": {"sbx-root-a"}, "/tmp": set()}
        after = {"/dev/shm": {"sbx-root-a", "sbx-root-b"},
                 "/tmp": {"sbx-bench-tp-1", "sbx-build-c"}}
        self.assertEqual(leftovers.new_entries(before, after, ("sbx-bench-",)),
                         ["/dev/shm/sbx-root-b", "/tmp/sbx-build-c"])

    def test_snapshot_lists_only_sbx_entries(self):
        with tempfile.TemporaryDirectory() as d:
            for name in ("sbx-root-1", "other", "sbx-build-2"):
                os.mkdir(os.path.join(d, name))
            snap = leftovers.snapshot([d, os.path.join(d, "missing")])
            self.assertEqual(snap[d], {"sbx-root-1", "sbx-build-2"})
            self.assertEqual(snap[os.path.join(d, "missing")], set())

    def test_stat_line_with_a_comm_holding_parentheses(self):
        line = "4242 (sbx (guard) x) S 17 4242 4242 0 -1 4194560 0 0"
        self.assertEqual(leftovers.parse_stat_line(line), (4242, "sbx (guard) x", "S", 17))

    def test_strays_are_every_descendant(self):
        procs = [(1, "init", "S", 0), (10, "bench", "S", 1), (11, "sbx", "S", 10),
                 (12, "guard", "S", 11), (13, "other", "S", 1), (14, "bwrap", "Z", 10)]
        self.assertEqual(leftovers.strays(procs, 10),
                         [(11, "sbx", "S"), (12, "guard", "S"), (14, "bwrap", "Z")])
        self.assertEqual(leftovers.strays(procs, 13), [])


class SummarizeTest(unittest.TestCase):
    def test_floor_phases_throughput_and_targets_reach_the_report(self):
        cmds = {"sbx_run": [3.0, 3.3, 2.9], "floor_run": [2.5, 3.0, 2.5],
                "unshare": [2.0, 2.2, 2.5], "bwrap": [4.0, 4.0, 5.0]}
        phases = {"sbx_run": {"setup": 0.6, "exit_wait": 0.5, "total": 3.0},
                  "floor_run": {"setup": 0.4, "exit_wait": 0.4, "total": 2.5}}
        e2e = {"commands": {n: {"median_ms": sorted(v)[1], "samples_ms": v}
                            for n, v in cmds.items()},
               "phases": {"rounds": 3, "order": ["setup", "exit_wait"],
                          "tools": {t: {"median_ms": m, "runs": 3, "failures": 0,
                                        "left_running": 0} for t, m in phases.items()}}}
        tp = {"summary": ts.family_summary(cpu_blocks(), [], {"entries": [], "strays": []}),
              "machine": {"loadavg_start": [1.5, 1, 1], "loadavg_end": [2.5, 1, 1]}}
        with tempfile.TemporaryDirectory() as d:
            for name, data in (("end_to_end.json", e2e), ("throughput.json", tp)):
                with open(os.path.join(d, name), "w") as f:
                    json.dump(data, f)
            s = summarize.summarize(d, quick=True)
        # Round by round: 1.2, 1.1, 1.16 -> 1.16.
        self.assertAlmostEqual(s["end_to_end_paired"]["sbx_run_over_floor_run"], 1.16)
        self.assertAlmostEqual(s["end_to_end_ratios"]["sbx_run_over_floor_run"], 1.2)
        self.assertAlmostEqual(s["end_to_end_phases_over_floor"]["setup"]["minus_ms"], 0.2)
        self.assertAlmostEqual(s["end_to_end_phases_over_floor"]["total"]["over"], 1.2)
        self.assertAlmostEqual(s["throughput"]["cpu_ms"]["sbx_run"], 3.5)
        t = s["issue30_targets"]
        self.assertFalse(t["sbx_run_over_floor_run"]["met"])
        self.assertTrue(t["cpu_per_run_sbx_over_bwrap"]["met"])  # 0.65
        self.assertIsNone(t["throughput_sbx_over_bwrap_at_cores"]["met"])
        md = report_run_cost_md.section(s)
        self.assertIn("| sbx run wall over its own floor (end to end, /bin/true) | 1.16x | "
                      "≤ 1.10x | **not met** |", md)
        self.assertIn("| CPU per run, whole machine, sbx run over bwrap | 0.65x | ≤ 0.80x | "
                      "met |", md)
        self.assertIn("≥ 1.30x | not measured |", md)
        self.assertIn("| setup | 0.60 | 0.40 | +0.20 | 1.50x |", md)
        self.assertIn("| sbx_run | 3.50 | 4.50 | 1.75 | 2.00 | 0.65x |", md)
        self.assertIn("Nothing left behind", md)
        self.assertIn("Load average 1.50 at the start", md)

    def test_something_left_behind_is_said(self):
        md = report_run_cost_md.left_behind({"left_behind": {
            "entries": [{"path": "/dev/shm/sbx-root-x", "after": "sbx_run, 16 at once"}],
            "strays": [{"pid": 7, "after": "bwrap in a row"}]}})
        self.assertIn("**Left behind**: `/dev/shm/sbx-root-x` (after sbx_run, 16 at once); "
                      "process 7 (after bwrap in a row).", md)


if __name__ == "__main__":
    unittest.main()
