#!/usr/bin/env python3
"""libFuzzer's executions over time, for rates at the start and at the end of a run.

libFuzzer's status lines ("#N ... exec/s: R") carry the running average since the start,
which hides a rate that decays. `exec_rate.py record SAMPLES` copies libFuzzer's output from
stdin to stdout unchanged and notes, for every status line and the final "Done N runs", the
seconds since it started and N. `exec_rate.py summarize SAMPLES [--window S] [--buckets S]`
prints one JSON object: the rate over the first and the last S seconds of fuzzing (from the
INITED line on; N between samples is interpolated linearly), their ratio, the steady-state
rate (after the first 30 s; none for a shorter run), and optionally the rate in each bucket
of S seconds.
"""
import json
import re
import sys
import time

STATUS = re.compile(rb"^#(\d+)\s")
DONE = re.compile(rb"^Done (\d+) runs in")


def record(path):
    start = time.monotonic()
    samples = []
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        out.write(line)
        out.flush()
        match = STATUS.match(line) or DONE.match(line)
        if match:
            kind = "inited" if b"INITED" in line else "done" if line.startswith(b"Done") else "status"
            samples.append([round(time.monotonic() - start, 3), int(match.group(1)), kind])
    with open(path, "w") as f:
        json.dump(samples, f)


def executions_at(samples, t):
    """N at time t, linear between the samples around it."""
    before = [s for s in samples if s[0] <= t]
    after = [s for s in samples if s[0] >= t]
    if not before:
        return samples[0][1]
    if not after:
        return samples[-1][1]
    (t0, n0), (t1, n1) = before[-1][:2], after[0][:2]
    return n0 if t1 == t0 else n0 + (n1 - n0) * (t - t0) / (t1 - t0)


STEADY_AFTER = 30.0


def summarize(path, window, buckets):
    samples = json.load(open(path))
    inited = [s for s in samples if s[2] == "inited"]
    if not inited or len(samples) < 2:
        return {"start_rate": None, "end_rate": None, "ratio": None}
    t0 = inited[-1][0]
    samples = [s for s in samples if s[0] >= t0]
    t_end = samples[-1][0]
    span = t_end - t0
    w = min(window, span / 2) if span > 0 else 0
    if w <= 0:
        return {"start_rate": None, "end_rate": None, "ratio": None}
    start = (executions_at(samples, t0 + w) - executions_at(samples, t0)) / w
    end = (executions_at(samples, t_end) - executions_at(samples, t_end - w)) / w
    result = {"window_seconds": round(w, 1), "fuzzing_seconds": round(span, 1),
              "start_rate": round(start), "end_rate": round(end),
              "ratio": round(end / start, 3) if start > 0 else None,
              "samples": len(samples)}
    # The steady state: everything after the first 30 s (start-up, seeds, early coverage).
    result["steady_rate"] = round((executions_at(samples, t_end) -
                                   executions_at(samples, t0 + STEADY_AFTER)) /
                                  (span - STEADY_AFTER)) if span > STEADY_AFTER else None
    if buckets:
        rows = []
        t = t0
        while t + buckets <= t_end + 1e-9:
            n = executions_at(samples, t + buckets) - executions_at(samples, t)
            rows.append([round(t - t0), round(t - t0 + buckets), round(n / buckets)])
            t += buckets
        result["buckets"] = rows
    return result


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "record":
        record(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == "summarize":
        args = sys.argv[3:]
        window = float(args[args.index("--window") + 1]) if "--window" in args else 30.0
        buckets = float(args[args.index("--buckets") + 1]) if "--buckets" in args else 0.0
        print(json.dumps(summarize(sys.argv[2], window, buckets)))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
