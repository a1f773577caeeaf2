#!/usr/bin/env python3
"""CPU per run and throughput of sandboxed `/bin/true` (issue 30), for sbx run (fast and
lix), its floor (bench/floor_run), bwrap, unshare and crun, run as bench/end_to_end.py runs
them (the same commands, from the same private mount namespace).

- CPU per run, whole machine: blocks of runs in a row, busy CPU from /proc/stat before and
  after each block, so every process a tool makes (sbx's leftover guard, bwrap's pid 1) and
  the kernel's work it causes (a network namespace's teardown in a kernel worker) count.
  Each round also sleeps once (an idle block) to measure what the rest of the machine burns
  meanwhile, which is taken off that round's blocks ("net"; "gross" keeps it). A round
  whose idle block found over half the CPUs busy is left out of the net numbers: on a
  saturated machine they mean nothing. rusage: the CPU that wait4 reports for the tool and
  any orphan it left to us, for comparison (it misses the kernel's work in its workers).
- Throughput: runs per second with N runs in flight at all times, N = the number of CPUs
  and 8 times that, one block per tool per round.
- Nothing left behind: after every block, no new sbx-* entry in /dev/shm (a private tmpfs
  here, so whatever is there is ours), /tmp or $TMPDIR (a private directory), and no
  process of the tools' making still running (this script is their subreaper). Exit 1 if
  something was left.

Blocks are interleaved: each round runs every tool once, in an order rotated from round to
round, so a drift of a shared machine hits all alike; ratios are paired by round.
"""

import argparse
import ctypes
import json
import os
import platform
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import end_to_end  # noqa: E402
import leftovers  # noqa: E402
import oci_bundle  # noqa: E402
import throughput_stats  # noqa: E402

TOOLS = ("sbx_run", "sbx_run_lix", "floor_run", "bwrap", "unshare", "crun")
PR_SET_CHILD_SUBREAPER = 36
DRAIN_S = 5.0  # how long orphans may take to exit after a block


def log(msg):
    print("throughput: " + msg, file=sys.stderr, flush=True)


def read_stat():
    with open("/proc/stat") as f:
        return throughput_stats.parse_proc_stat(f.read())


class Runner:
    """Spawns runs and reaps them, orphans included; counts each command's instances."""

    def __init__(self, cmds, env):
        self.cmds, self.env = cmds, env
        self.serial = 0
        self.actions = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]

    def spawn(self, tool):
        self.serial += 1
        argv = end_to_end.concrete(self.cmds[tool], self.serial)
        return os.posix_spawnp(argv[0], argv, self.env, file_actions=self.actions)

    @staticmethod
    def cpu(ru):
        return ru.ru_utime + ru.ru_stime

    def drain(self):
        """Reaps every child left (orphans reparented to us); returns (their CPU s, pids
        still running after DRAIN_S)."""
        cpu, deadline = 0.0, time.monotonic() + DRAIN_S
        while True:
            try:
                pid, _, ru = os.wait3(os.WNOHANG)
            except ChildProcessError:
                return cpu, []
            if pid:
                cpu += self.cpu(ru)
                continue
            if time.monotonic() > deadline:
                return cpu, [p for p, _, _ in leftovers.strays(leftovers.processes(),
                                                                os.getpid())]
            time.sleep(0.001)

    def block(self, tool, runs, concurrency):
        """Runs `runs` instances with `concurrency` in flight; the block's record."""
        before, start = read_stat(), time.perf_counter()
        inflight, started, done, failures, rusage = set(), 0, 0, 0, 0.0
        while done < runs:
            while len(inflight) < concurrency and started < runs:
                inflight.add(self.spawn(tool))
                started += 1
            pid, status, ru = os.wait3(0)
            rusage += self.cpu(ru)
            if pid in inflight:
                inflight.remove(pid)
                done += 1
                failures += os.waitstatus_to_exitcode(status) != 0
        wall = time.perf_counter() - start
        orphans_cpu, stray = self.drain()
        after = read_stat()
        return {"tool": tool, "runs": runs, "failures": failures, "concurrency": concurrency,
                "wall_s": wall, "busy_s": throughput_stats.busy_seconds(
                    before, after, os.sysconf("SC_CLK_TCK")),
                "rusage_s": rusage + orphans_cpu, "strays": stray}


def idle_block(seconds):
    before, start = read_stat(), time.perf_counter()
    time.sleep(seconds)
    wall = time.perf_counter() - start
    return {"tool": "idle", "runs": 0, "wall_s": wall,
            "busy_s": throughput_stats.busy_seconds(before, read_stat(),
                                                    os.sysconf("SC_CLK_TCK"))}


def private_dev_shm():
    """A fresh tmpfs on /dev/shm in our private mount namespace: every sbx-* entry there
    is then ours. None, or why not."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.mount(b"tmpfs", b"/dev/shm", b"tmpfs", 0x2 | 0x4, b"mode=1777") != 0:  # nosuid,nodev
        return "tmpfs on /dev/shm: " + os.strerror(ctypes.get_errno())
    return None


def parse_args():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sbx", help="the sbx binary (sbx_run, sbx_run_lix left out without)")
    p.add_argument("--floor", help="bench/floor_run (floor_run left out without)")
    p.add_argument("--rounds", type=int, default=5, help="rounds of every block (default 5)")
    p.add_argument("--cpu-runs", type=int, default=100,
                   help="runs in a row per CPU block (default 100; /proc/stat counts in "
                   "ticks of 10 ms)")
    p.add_argument("--runs-per-slot", type=int, default=8,
                   help="runs per concurrent slot in a throughput block (default 8)")
    p.add_argument("--min-runs", type=int, default=32,
                   help="at least this many runs in a throughput block (default 32)")
    p.add_argument("--idle-s", type=float, default=1.0,
                   help="seconds of each round's idle block (default 1.0)")
    p.add_argument("--tools", default=",".join(TOOLS),
                   help="comma-separated subset of %s" % ",".join(TOOLS))
    p.add_argument("--quick", action="store_true",
                   help="3 rounds, 50 runs per CPU block, 4 per slot, 0.5 s idle")
    p.add_argument("--out", required=True, help="JSON report to write")
    args = p.parse_args()
    if args.quick:
        args.rounds, args.cpu_runs, args.runs_per_slot, args.idle_s = 3, 50, 4, 0.5
    return args


def rotated(names, i):
    return [names[(i + k) % len(names)] for k in range(len(names))]


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    cpus = os.cpu_count() or 1
    levels = {"cores": cpus, "8x_cores": 8 * cpus}
    report = {"machine": {"kernel": platform.release(), "cpus": cpus,
                          "loadavg_start": os.getloadavg()},
              "settings": {k: v for k, v in vars(args).items() if k != "out"},
              "levels": levels, "unavailable": {}, "warnings": []}
    for why in (end_to_end.private_mounts_without_hybrid_cgroup2(), private_dev_shm()):
        if why:
            report["warnings"].append(why)
            log("warning: " + why)
    wanted = [t for t in args.tools.split(",") if t]

    with tempfile.TemporaryDirectory(prefix="sbx-bench-tp-") as tmp:
        bundle, crun_state = os.path.join(tmp, "bundle"), os.path.join(tmp, "crun-state")
        tmpdir = os.path.join(tmp, "tmpdir")
        os.makedirs(crun_state)
        os.makedirs(tmpdir)
        oci_bundle.write_bundle(bundle, [end_to_end.TRUE])
        cmds = end_to_end.commands(args.sbx, args.floor, bundle, crun_state)
        env = dict(os.environ, TMPDIR=tmpdir)
        tools = []
        for name in wanted:
            if name not in cmds:
                report["unavailable"][name] = "not given (--sbx, --floor)"
                continue
            why = end_to_end.probe(end_to_end.concrete(cmds[name], "probe"), env=env)
            if why:
                report["unavailable"][name] = why
                log("%s unavailable: %s" % (name, why))
            else:
                tools.append(name)
        runner = Runner(cmds, env)
        # /tmp is shared with the machine's other users (their sbx-* come and go): what
        # appears there is listed, not counted; the private /dev/shm and $TMPDIR are ours.
        private = [tmpdir] + ([] if report["warnings"] and "/dev/shm" in
                              " ".join(report["warnings"]) else ["/dev/shm"])
        watched = ["/dev/shm", "/tmp", tmpdir]
        baseline = leftovers.snapshot(watched)
        left = {"entries": [], "strays": [], "unattributed": []}

        def check(record, what):
            for path in leftovers.new_entries(baseline, leftovers.snapshot(watched),
                                              ("sbx-bench-",)):
                key = "entries" if os.path.dirname(path) in private else "unattributed"
                left[key].append({"path": path, "after": what})
            for pid in record.get("strays", []):
                left["strays"].append({"pid": pid, "after": what})
            baseline.update(leftovers.snapshot(watched))  # each leftover said once

        cpu_blocks, conc_blocks = [], []
        for r in range(args.rounds):
            for tool in rotated(tools + ["idle"], r):
                if tool == "idle":
                    b = idle_block(args.idle_s)
                else:
                    b = runner.block(tool, args.cpu_runs, 1)
                    check(b, "%s in a row, round %d" % (tool, r + 1))
                b["round"] = r
                cpu_blocks.append(b)
            log("CPU round %d/%d done (load %.2f)" % (r + 1, args.rounds, os.getloadavg()[0]))
        for level, n in levels.items():
            runs = max(args.min_runs, n * args.runs_per_slot)
            for r in range(args.rounds):
                for tool in rotated(tools, r):
                    b = runner.block(tool, runs, n)
                    check(b, "%s, %d at once, round %d" % (tool, n, r + 1))
                    b.update(round=r, level=level)
                    conc_blocks.append(b)
                log("%d at once: round %d/%d done (load %.2f)" % (
                    n, r + 1, args.rounds, os.getloadavg()[0]))

    report["machine"]["loadavg_end"] = os.getloadavg()
    report["cpu_blocks"], report["concurrent_blocks"] = cpu_blocks, conc_blocks
    report["summary"] = throughput_stats.family_summary(cpu_blocks, conc_blocks, left, cpus)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=2)
    s = report["summary"]
    for t in tools:
        log("%-12s CPU %6.2f ms/run (gross %6.2f, rusage %5.2f), wall %6.2f ms/run; runs/s %s" % (
            t, s["cpu_ms"].get(t) or 0, s["cpu_gross_ms"].get(t) or 0,
            s["rusage_ms"].get(t) or 0, s["wall_ms"].get(t) or 0,
            " ".join("%s %.0f" % (lvl, (v.get(t) or 0)) for lvl, v in s["runs_per_s"].items())))
    if s["cpu_busy_rounds"]:
        log("warning: %d of %d CPU rounds left out: over half the CPUs were busy without us" % (
            s["cpu_busy_rounds"], s["cpu_rounds"]))
    if left["entries"] or left["strays"]:
        log("error: left behind: %s" % json.dumps(left))
        return 1
    log("nothing left behind (%s; no stray process)%s" % (", ".join(private), "; new in "
        "/tmp, maybe another user's: %d" % len(left["unattributed"]) if left["unattributed"]
        else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
