"""Whether one ratio regressed, decided from its samples (one value per repetition) in the
baseline and in this run, not from one median each.

A ratio is "lower is better". It regressed when both hold:
- the increase is significant: a one-sided Mann-Whitney U test (the test Google Benchmark's
  compare.py uses) puts this run above the baseline at p < ALPHA;
- the increase is at least the ratio's minimum effect: the change (median now over median
  then, minus 1) reaches it. A smaller change may be real, but is too small to fail CI for.
The bootstrap confidence intervals of both medians and of the change are reported, so a
reader sees how large a change the run could have told from noise.
"""

import numpy as np
from scipy.stats import mannwhitneyu

ALPHA = 0.01
LEVEL = 0.95
RESAMPLES = 2000


def median(samples):
    return float(np.median(samples))


def _bootstrap_medians(samples, rng):
    x = np.asarray(samples, dtype=float)
    picks = rng.integers(0, len(x), size=(RESAMPLES, len(x)))
    return np.median(x[picks], axis=1)


def _interval(values):
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def compare(baseline, current, min_effect, seed=0):
    """Returns a dict: baseline and current medians with their intervals, the change with
    its interval, the U test's p and "regressed". Samples: sequences of positive floats.
    Seeded, so the same samples always give the same verdict."""
    if len(baseline) < 2 or len(current) < 2:
        raise ValueError("need at least 2 samples on each side")
    rng = np.random.default_rng(seed)
    base_boot = _bootstrap_medians(baseline, rng)
    cur_boot = _bootstrap_medians(current, rng)
    base_med, cur_med = float(np.median(baseline)), float(np.median(current))
    p = float(mannwhitneyu(current, baseline, alternative="greater").pvalue)
    change_ci = _interval(cur_boot / base_boot - 1)
    return {
        "baseline": base_med,
        "baseline_ci": _interval(base_boot),
        "current": cur_med,
        "current_ci": _interval(cur_boot),
        "change": cur_med / base_med - 1,
        "change_ci": change_ci,
        "p": p,
        "min_effect": min_effect,
        "n": (len(baseline), len(current)),
        "regressed": p < ALPHA and cur_med / base_med - 1 >= min_effect,
    }
