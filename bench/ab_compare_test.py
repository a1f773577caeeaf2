#!/usr/bin/python3
"""Feeds ab_compare.py synthetic A/B runs (segment summaries with known samples) and checks
each decision: identical samples and noise within the minimum effect pass; a 10% shift of
the change is suspected, asks for its families again, and is a regression once a re-run
confirms it (cleared when two runs clear it); a ratio the base did not measure is not
compared; one the change lost fails; the verdict table renders. Runs no benchmark."""

import contextlib
import io
import json
import math
import os
import random
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ab_compare  # noqa: E402
import checked_ratios  # noqa: E402
import report_md  # noqa: E402

MEDIANS = {"paired.fast_over_floor": 1.07, "paired.fast_call_to_release_over_floor": 1.08,
           "paired.lix_over_floor": 2.1, "ratios.fast_over_lix_at_4gib": 0.004,
           "rss_growth.fast": 1.05, "rss_growth.lix": 120.0,
           "end_to_end_ratios.sbx_run_over_bwrap": 0.6,
           "end_to_end_ratios.sbx_run_over_unshare": 0.9,
           "end_to_end_ratios.sbx_run_over_crun": 0.4}
FAST = "paired.fast_over_floor"
CALL = "paired.fast_call_to_release_over_floor"


def segment(rng, n=8, spread=0.02, shifts=None):
    """One segment's summary: n samples per ratio around MEDIANS (lognormal spread), some
    scaled by shifts[path]; a shift of None leaves the ratio out."""
    out = {}
    for path, median in MEDIANS.items():
        factor = (shifts or {}).get(path, 1.0)
        out[path] = [] if factor is None else [
            median * factor * math.exp(rng.gauss(0, spread)) for _ in range(n)]
    return {"samples": out}


class AbCompareTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.runs = 0

    def tearDown(self):
        self.tmp.cleanup()

    def run_dir(self, seed, change=None, base=None, spread=0.02, same=False):
        """One A/B run: base-1, change-1, change-2, base-2; same: the change's segments are
        copies of the base's (identical samples)."""
        rng = random.Random(seed)
        self.runs += 1
        d = os.path.join(self.tmp.name, "run-%d" % self.runs)
        segs = {"base-1": segment(rng, spread=spread, shifts=base),
                "base-2": segment(rng, spread=spread, shifts=base)}
        if same:
            segs["change-1"], segs["change-2"] = segs["base-1"], segs["base-2"]
        else:
            segs["change-1"] = segment(rng, spread=spread, shifts=change)
            segs["change-2"] = segment(rng, spread=spread, shifts=change)
        for name, summary in segs.items():
            os.makedirs(os.path.join(d, name))
            with open(os.path.join(d, name, "summary.json"), "w") as f:
                json.dump(summary, f)
        return d

    def check(self, *run_dirs):
        """(exit status, stderr, families to re-run) of one ab_compare.py call."""
        families = os.path.join(self.tmp.name, "families")
        self.json = os.path.join(self.tmp.name, "ab.json")
        argv = ["ab_compare.py", *run_dirs, "--base-label", "HEAD", "--rerun-families",
                families, "--json", self.json]
        err = io.StringIO()
        old_argv, sys.argv = sys.argv, argv
        try:
            with contextlib.redirect_stderr(err):
                status = ab_compare.main()
        finally:
            sys.argv = old_argv
        listed = []
        if os.path.exists(families):
            with open(families) as f:
                listed = f.read().split()
            os.remove(families)
        return status, err.getvalue(), listed

    def test_identical_samples_do_not_alarm(self):
        status, err, _ = self.check(self.run_dir(1, same=True))
        self.assertEqual(status, 0, err)
        self.assertIn("0 of 9 ratios regressed against the base HEAD; 0 re-run(s)", err)
        self.assertRegex(err, r"(?m)^ab: paired\.fast_over_floor: base 1\.0\d+ \[.*\], change "
                              r"1\.0\d+ \[.*\], difference \+0\.0% \[.*\], p .*, min effect "
                              r"\+5\.0%: ok$")

    def test_noise_within_the_minimum_effect_does_not_alarm(self):
        # Independent draws of the same tree, 20 times over; and a real but small 2% shift.
        for seed in range(20):
            status, err, _ = self.check(self.run_dir(100 + seed))
            self.assertEqual(status, 0, err)
        status, err, _ = self.check(self.run_dir(2, change={FAST: 1.02, CALL: 1.02}))
        self.assertEqual(status, 0, err)

    def test_a_ten_percent_shift_is_suspected_and_its_families_rerun(self):
        status, err, families = self.check(self.run_dir(3, change={FAST: 1.10, CALL: 1.10}))
        self.assertEqual(status, 3, err)
        self.assertIn("ab: suspected paired.fast_over_floor: base", err)
        self.assertIn("ab: suspected paired.fast_call_to_release_over_floor: base", err)
        self.assertEqual(families, ["paired"])

    def test_a_confirmed_shift_is_a_regression_on_both_headlines(self):
        shifted = {FAST: 1.10, CALL: 1.10}
        status, err, _ = self.check(self.run_dir(3, change=shifted),
                                    self.run_dir(4, change=shifted))
        self.assertEqual(status, 1, err)
        self.assertRegex(err, r"ab: REGRESSION paired\.fast_over_floor: .*difference "
                              r"\+\d+\.\d% .*\(in 2 of 2 runs\)")
        self.assertIn("ab: REGRESSION paired.fast_call_to_release_over_floor", err)
        self.assertIn("2 of 9 ratios regressed against the base HEAD", err)

    def test_a_suspicion_two_runs_clear_passes(self):
        status, err, _ = self.check(self.run_dir(3, change={FAST: 1.10}), self.run_dir(5),
                                    self.run_dir(6))
        self.assertEqual(status, 0, err)
        self.assertIn("(suspected, cleared in 2 of 3 runs): ok", err)

    def test_an_improvement_passes_and_says_so(self):
        status, err, _ = self.check(self.run_dir(7, change={FAST: 0.8}))
        self.assertEqual(status, 0, err)
        self.assertRegex(err, r"paired\.fast_over_floor: .*\(improved\): ok")

    def test_a_ratio_the_base_did_not_measure_is_not_compared(self):
        status, err, _ = self.check(self.run_dir(8, base={"paired.lix_over_floor": None}))
        self.assertEqual(status, 0, err)
        self.assertIn("ab: paired.lix_over_floor: not compared", err)
        self.assertIn("0 of 8 ratios regressed", err)

    def test_a_ratio_the_change_lost_fails(self):
        lost = {"paired.lix_over_floor": None}
        status, err, _ = self.check(self.run_dir(9, change=lost), self.run_dir(10, change=lost))
        self.assertEqual(status, 1, err)
        self.assertIn("REGRESSION paired.lix_over_floor: not measured in the change", err)

    def test_a_run_without_segments_is_an_input_error(self):
        empty = os.path.join(self.tmp.name, "empty")
        os.mkdir(empty)
        status, err, _ = self.check(empty)
        self.assertEqual(status, 2, err)

    def test_every_checked_ratio_has_families_to_rerun(self):
        for path in checked_ratios.MIN_EFFECT:
            self.assertTrue(set(checked_ratios.FAMILIES[path]) <=
                            set(checked_ratios.JUDGED_FAMILIES), path)

    def test_report_md_renders_base_change_difference_verdict(self):
        shifted = {FAST: 1.10}
        self.check(self.run_dir(3, change=shifted), self.run_dir(4, change=shifted))
        with open(self.json) as f:
            ab = json.load(f)
        md = report_md.ab_section(ab)
        self.assertIn("| ratio | base | change | difference | min effect | p | verdict |", md)
        self.assertRegex(md, r"(?m)^\| `paired\.fast_over_floor` \| 1\.\d+ \(1\.\d+ to 1\.\d+\) "
                             r"\| 1\.\d+ \(.*\) \| \+\d+\.\d% \(.*% to .*%\) \| \+5\.0% \| .* "
                             r"\| \*\*REGRESSION\*\* \(in 2 of 2 runs\) \|$")
        self.assertIn("1 of 9 ratios regressed against the base HEAD", md)


if __name__ == "__main__":
    unittest.main()
