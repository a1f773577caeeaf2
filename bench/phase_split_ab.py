#!/usr/bin/env python3
"""A/B of sbx binaries by phase: `sbx run --mode fast -- /bin/true` of each binary given,
interleaved round by round (order rotated), each run split into phases from the kernel's
fork/exec/exit events (bench/phase_split.py). For checking where a change to sbx lands:

  bench/phase_split_ab.py --rounds 150 OLD/sbx NEW/sbx

Prints the median ms of each phase per binary and the median of the per-round ratio of
each binary's total to the first's. Needs root (ftrace); takes a private mount namespace
for tracefs, as end_to_end.py does.
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import end_to_end  # noqa: E402
import phase_split  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sbx", nargs="+", help="sbx binaries; the first is the reference")
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    why = end_to_end.private_mounts_without_hybrid_cgroup2()
    if why and not os.path.isdir("/sys/kernel/tracing/instances"):
        print("phase_split_ab: %s" % why, file=sys.stderr)
        return 1
    bins = [os.path.abspath(b) for b in args.sbx]
    names = ["%d:%s" % (i, os.path.basename(os.path.dirname(b)) or b) for i, b in enumerate(bins)]
    ms = {b: {} for b in bins}
    with phase_split.SchedTrace() as trace:
        for i in range(args.warmup + args.rounds):
            runs = []
            trace.start()
            try:
                for k in range(len(bins)):
                    b = bins[(i + k) % len(bins)]
                    argv = [b, "run", "--mode", "fast", "--", end_to_end.TRUE]
                    runs.append((b,) + end_to_end.run_traced(argv))
            finally:
                events = trace.stop()
            if i < args.warmup:
                continue
            for b, pid, spawned, reaped, status in runs:
                if status != 0:
                    print("phase_split_ab: %s exited %d" % (b, status), file=sys.stderr)
                    return 1
                split = phase_split.split(events, pid, end_to_end.TRUE, spawned, reaped)
                split.pop("left_running")
                split["total"] = reaped - spawned
                for phase, ns in split.items():
                    ms[b].setdefault(phase, []).append(ns / 1e6)
    print("| phase | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(bins))
    for phase in list(phase_split.PHASES) + ["total"]:
        print("| %s | " % phase + " | ".join(
            "%.2f" % statistics.median(ms[b][phase]) for b in bins) + " |")
    ref = ms[bins[0]]["total"]
    print("| total over %s, per round | " % names[0] + " | ".join(
        "%.3f" % statistics.median([a / r for a, r in zip(ms[b]["total"], ref)])
        for b in bins) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
