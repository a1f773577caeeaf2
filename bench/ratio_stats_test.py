#!/usr/bin/python3
"""The regression statistics (bench/ratio_stats.py) on synthetic samples with a known
answer: drawn from one distribution, they must not alarm; shifted by the minimum effect
(the threshold) they alarm about half the time, and a little past it always; a tiny but
significant shift and an improvement must not alarm. Seeded and timing-free."""

import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ratio_stats  # noqa: E402

TRIALS = 100
MIN_EFFECT = 0.05
SPREAD = 0.04  # lognormal sigma: per-repetition ratios on this machine spread by 2-6%


def draw(rng, n, median=1.3, spread=SPREAD):
    return list(median * np.exp(rng.normal(0, spread, n)))


def alarms(shift, n_base=40, n_cur=20, spread=SPREAD, seed=1):
    rng = np.random.default_rng(seed)
    count = 0
    for _ in range(TRIALS):
        base = draw(rng, n_base, spread=spread)
        cur = draw(rng, n_cur, 1.3 * (1 + shift), spread)
        count += ratio_stats.compare(base, cur, MIN_EFFECT)["regressed"]
    return count


class RatioStatsTest(unittest.TestCase):
    def test_same_distribution_does_not_alarm(self):
        self.assertEqual(alarms(0.0), 0)

    def test_u_test_false_positive_rate_is_near_alpha(self):
        rng = np.random.default_rng(2)
        significant = sum(
            ratio_stats.compare(draw(rng, 40), draw(rng, 20), 0.0)["p"] < ratio_stats.ALPHA
            for _ in range(TRIALS))
        self.assertLessEqual(significant, 3 * ratio_stats.ALPHA * TRIALS)

    def test_shift_by_min_effect_is_the_threshold(self):
        # A quick run's headline ratio (4 families x 5 repetitions) against a full run's 40.
        self.assertGreaterEqual(alarms(MIN_EFFECT), 0.3 * TRIALS)
        self.assertLessEqual(alarms(MIN_EFFECT), 0.7 * TRIALS)

    def test_shift_past_min_effect_alarms(self):
        self.assertGreaterEqual(alarms(1.4 * MIN_EFFECT), 0.95 * TRIALS)

    def test_twice_the_min_effect_always_alarms(self):
        self.assertEqual(alarms(2 * MIN_EFFECT), TRIALS)

    def test_tiny_significant_change_does_not_alarm(self):
        rng = np.random.default_rng(3)
        base, cur = draw(rng, 400, spread=0.01), draw(rng, 400, 1.3 * 1.01, spread=0.01)
        v = ratio_stats.compare(base, cur, MIN_EFFECT)
        self.assertLess(v["p"], ratio_stats.ALPHA)  # the change is real...
        self.assertFalse(v["regressed"])  # ...but below the minimum effect

    def test_improvement_does_not_alarm(self):
        self.assertEqual(alarms(-0.2), 0)

    def test_intervals_hold_the_medians_and_are_reproducible(self):
        rng = np.random.default_rng(4)
        base, cur = draw(rng, 40), draw(rng, 20, 1.4)
        v = ratio_stats.compare(base, cur, MIN_EFFECT)
        self.assertLessEqual(v["baseline_ci"][0], v["baseline"])
        self.assertLessEqual(v["baseline"], v["baseline_ci"][1])
        self.assertLessEqual(v["current_ci"][0], v["current"])
        self.assertLessEqual(v["current"], v["current_ci"][1])
        self.assertLessEqual(v["change_ci"][0], v["change"])
        self.assertLessEqual(v["change"], v["change_ci"][1])
        self.assertAlmostEqual(v["change"], v["current"] / v["baseline"] - 1)
        self.assertEqual(v, ratio_stats.compare(base, cur, MIN_EFFECT))

    def test_too_few_samples_is_an_error(self):
        with self.assertRaises(ValueError):
            ratio_stats.compare([1.0], [1.0, 1.1], MIN_EFFECT)


if __name__ == "__main__":
    unittest.main()
