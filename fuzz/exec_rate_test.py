#!/usr/bin/env python3
"""Tests of exec_rate.py: record passes libFuzzer's output through and notes its status
lines; summarize finds a flat rate flat and a decaying one decaying."""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "exec_rate.py")
failures = []


def check(what, got, want):
    if got != want:
        failures.append(f"{what}: got {got!r}, want {want!r}")


def summarize(samples, *args):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(samples, f)
    out = subprocess.run([sys.executable, TOOL, "summarize", f.name, *args], check=True,
                         capture_output=True, text=True).stdout
    os.unlink(f.name)
    return json.loads(out)


# record: output unchanged, one sample per status line and the final count.
log = (b"INFO: Seed: 1\n#2\tINITED cov: 3 exec/s: 0\n#4\tNEW cov: 4\n"
       b"some \xff other line\n#8\tpulse cov: 4\nDone 10 runs in 1 second(s)\n")
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "samples.json")
    run = subprocess.run([sys.executable, TOOL, "record", path], input=log, capture_output=True,
                         check=True)
    check("record output", run.stdout, log)
    samples = json.load(open(path))
    check("record counts", [s[1] for s in samples], [2, 4, 8, 10])
    check("record kinds", [s[2] for s in samples], ["inited", "status", "status", "done"])
    check("record times ascend", samples == sorted(samples, key=lambda s: s[0]), True)

# 1000/s for 240 s after 2 s of start-up.
flat = [[2.0, 100, "inited"]] + [[2.0 + t, 100 + 1000 * t, "status"] for t in range(10, 241, 10)]
r = summarize(flat, "--window", "30", "--buckets", "60")
check("flat start", r["start_rate"], 1000)
check("flat end", r["end_rate"], 1000)
check("flat ratio", r["ratio"], 1.0)
check("flat buckets", [b[2] for b in r["buckets"]], [1000] * 4)

# 2000/s for the first 120 s, then 500/s: the average hides it, the ends do not.
decay, n = [[0.0, 0, "inited"]], 0
for t in range(5, 241, 5):
    n += (2000 if t <= 120 else 500) * 5
    decay.append([float(t), n, "status"])
r = summarize(decay, "--window", "30")
check("decay start", r["start_rate"], 2000)
check("decay end", r["end_rate"], 500)
check("decay ratio", r["ratio"], 0.25)
# After the first 30 s: 90 s at 2000/s and 120 s at 500/s.
check("decay steady", r["steady_rate"], 1143)

# Sparse samples: interpolated between them.
sparse = [[0.0, 0, "inited"], [100.0, 100000, "status"], [200.0, 150000, "done"]]
r = summarize(sparse, "--window", "50")
check("sparse start", r["start_rate"], 1000)
check("sparse end", r["end_rate"], 500)

# A short run: halves of it.
check("short window", summarize(sparse, "--window", "500")["window_seconds"], 100.0)
check("no steady state within 30 s", summarize([[0.0, 0, "inited"], [20.0, 9, "done"]])
      .get("steady_rate"), None)
check("nothing", summarize([], "--window", "30")["start_rate"], None)

if failures:
    print("\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
print("PASS: exec_rate.py")
