#!/usr/bin/python3
"""Feeds compare_summary.py synthetic summaries with known samples and checks each decision:
the same distribution passes; a shift past a ratio's minimum effect asks for a re-run of
that ratio's families (exit 3), and is a regression once a re-run confirms it, or passes
when two runs clear it; an improvement and a tiny shift pass; a ratio missing from every
run fails; a ratio without baseline samples is not compared; a bad baseline is an input
error; a baseline of several runs is compared by its worst run; report_md.py renders the
decisions as a table. Runs no benchmark, in one process (scipy loads once)."""

import contextlib
import io
import json
import math
import os
import random
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_summary  # noqa: E402
import report_md  # noqa: E402
import summarize  # noqa: E402

MEDIANS = {"paired.fast_over_floor": 1.3, "paired.fast_call_to_release_over_floor": 1.4,
           "paired.lix_over_floor": 2.1,
           "ratios.fast_over_lix_at_4gib": 0.004, "rss_growth.fast": 1.05,
           "rss_growth.lix": 120.0, "end_to_end_ratios.sbx_run_over_bwrap": 0.9,
           "end_to_end_ratios.sbx_run_over_unshare": 1.5,
           "end_to_end_ratios.sbx_run_over_crun": 0.6}
FAST = "paired.fast_over_floor"


def samples(seed, **shifts):
    """20 samples per ratio around MEDIANS (3% spread), some scaled; None: not measured."""
    rng = random.Random(seed)
    out = {}
    for path, median in MEDIANS.items():
        factor = shifts.get(path.split(".")[1], 1.0)
        out[path] = [] if factor is None else [
            median * factor * math.exp(rng.gauss(0, 0.03)) for _ in range(20)]
    return {"samples": out}


class CompareSummaryTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.base = self.write("base", samples(1))

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, data):
        path = os.path.join(self.tmp.name, name + ".json")
        with open(path, "w") as f:
            json.dump(data, f)
        return path

    def check(self, current, *reruns, baseline=None):
        """(exit status, stderr, families to re-run) of one compare_summary.py call."""
        families = os.path.join(self.tmp.name, "families")
        argv = ["compare_summary.py", self.write("current", current), baseline or self.base,
                "--rerun-families", families, "--json", os.path.join(self.tmp.name, "c.json")]
        for i, rerun in enumerate(reruns):
            argv += ["--rerun", self.write("rerun%d" % i, rerun)]
        err = io.StringIO()
        old_argv, sys.argv = sys.argv, argv
        try:
            with contextlib.redirect_stderr(err):
                status = compare_summary.main()
        finally:
            sys.argv = old_argv
        listed = open(families).read().split() if os.path.exists(families) else []
        if os.path.exists(families):
            os.remove(families)
        return status, err.getvalue(), listed

    def test_same_distribution_passes_with_both_intervals(self):
        status, err, _ = self.check(samples(2))
        self.assertEqual(status, 0, err)
        self.assertIn("0 of 9 ratios regressed", err)
        self.assertRegex(err, r"(?m)^compare: paired\.fast_over_floor = 1\.\d+ \[1\.\d+, 1\.\d+\], "
                              r"baseline 1\.\d+ \[1\.\d+, 1\.\d+\], change .* min effect \+5\.0%: ok$")

    def test_improvement_passes(self):
        status, err, _ = self.check(samples(6, fast_over_floor=0.7, lix=0.5))
        self.assertEqual(status, 0, err)

    def test_shift_below_the_minimum_effect_passes(self):
        status, err, _ = self.check(samples(7, fast_over_floor=1.01))
        self.assertEqual(status, 0, err)

    def test_shift_past_the_minimum_effect_asks_for_a_rerun_of_its_families(self):
        status, err, families = self.check(samples(4, fast_over_floor=1.10))
        self.assertEqual(status, 3, err)
        self.assertIn("suspected paired.fast_over_floor", err)
        self.assertEqual(families, ["paired"])

    def test_end_to_end_shift_reruns_end_to_end_alone(self):
        status, err, families = self.check(samples(8, sbx_run_over_bwrap=1.3))
        self.assertEqual(status, 3, err)
        self.assertEqual(families, ["end_to_end"])

    def test_a_confirming_rerun_makes_a_regression(self):
        status, err, _ = self.check(samples(4, fast_over_floor=1.10),
                                    samples(5, fast_over_floor=1.10))
        self.assertEqual(status, 1, err)
        self.assertRegex(err, r"REGRESSION paired\.fast_over_floor = .*\(in 2 of 2 runs\)")
        self.assertIn("1 of 9 ratios regressed against", err)

    def test_one_clearing_rerun_asks_for_another(self):
        status, err, _ = self.check(samples(4, fast_over_floor=1.10), samples(2))
        self.assertEqual(status, 3, err)

    def test_two_of_three_alarming_make_a_regression(self):
        status, err, _ = self.check(samples(4, fast_over_floor=1.10), samples(2),
                                    samples(5, fast_over_floor=1.10))
        self.assertEqual(status, 1, err)
        self.assertIn("(in 2 of 3 runs)", err)

    def test_two_of_three_clearing_pass_and_say_so(self):
        status, err, _ = self.check(samples(4, fast_over_floor=1.10), samples(2), samples(3))
        self.assertEqual(status, 0, err)
        self.assertIn("(suspected, cleared in 2 of 3 runs): ok", err)
        self.assertIn("0 of 9 ratios regressed", err)
        self.assertIn("1 suspected and cleared; 2 re-run(s)", err)

    def test_a_ratio_missing_from_every_run_fails(self):
        missing = samples(9, lix_over_floor=None)
        status, err, _ = self.check(missing, missing)
        self.assertEqual(status, 1, err)
        self.assertIn("REGRESSION paired.lix_over_floor: not measured in this run", err)

    def test_a_ratio_without_baseline_samples_is_not_compared(self):
        base = self.write("nolix", samples(9, lix_over_floor=None))
        status, err, _ = self.check(samples(2), baseline=base)
        self.assertEqual(status, 0, err)
        self.assertIn("paired.lix_over_floor: no baseline value, not compared", err)

    def test_a_baseline_of_several_runs_is_compared_by_its_worst(self):
        runs = [samples(1)["samples"], samples(4, fast_over_floor=1.10)["samples"]]
        base = self.write("two_runs", {"samples": runs[0], "samples_by_run": runs})
        status, err, _ = self.check(samples(5, fast_over_floor=1.10), baseline=base)
        self.assertEqual(status, 0, err)
        status, err, _ = self.check(samples(10, fast_over_floor=1.21), baseline=base)
        self.assertEqual(status, 3, err)

    def test_an_unreadable_baseline_is_an_input_error(self):
        bad = os.path.join(self.tmp.name, "bad.json")
        with open(bad, "w") as f:
            f.write("not json")
        status, err, _ = self.check(samples(2), baseline=bad)
        self.assertEqual(status, 2, err)
        self.assertIn("cannot read input", err)

    def test_report_md_renders_the_decisions(self):
        self.check(samples(4, fast_over_floor=1.10), samples(5, fast_over_floor=1.10))
        with open(os.path.join(self.tmp.name, "c.json")) as f:
            decisions = json.load(f)
        run = os.path.join(self.tmp.name, "run")
        os.mkdir(run)  # a run that measured nothing: every table empty
        md = report_md.render(summarize.summarize(run, True), decisions)
        self.assertRegex(md, r"(?m)^\| `paired\.fast_over_floor` \| 1\.\d+ \(1\.\d+ to 1\.\d+\) "
                             r"\| 1\.\d+ \(.*\) \| \+\d+\.\d% \(.*% to .*%\) \| \+5\.0% \| .* "
                             r"\| \*\*REGRESSION\*\* \| 1 re-run\(s\) in 2 of 2 runs \|$")
        self.assertIn("\n1 of 9 ratios regressed", md)


if __name__ == "__main__":
    unittest.main()
