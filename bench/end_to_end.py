#!/usr/bin/env python3
"""End to end, process level: how long `sbx run -- /bin/true` takes against its peers.

Peers, all with the same isolation as far as each allows (new user, pid, mount, ipc, uts and
network namespaces; ids 1000/100 where it can map them; hostname localhost):
  bwrap --unshare-all, unshare -Upfnimu --map-root-user --fork, crun run on an OCI bundle.
`floor_run` (bench/floor_run.cc, --floor) is the floor of sbx run's own work: the same
namespaces, root, files, mounts, ids, seccomp program and exec in one straight line.
`direct` (plain /bin/true) is the process-spawn floor; `sbx_exec_only` (`sbx files`) is what
starting the sbx binary costs before any sandbox. Commands are interleaved, one of each
per round with the order rotated every round, so drift of a shared machine hits all alike.
hyperfine runs one command at a time, hence this loop. Writes a JSON report.

Each round then runs sbx run, the floor, unshare and bwrap once more with tracing on, and
splits each of those runs into phases (spawn, start, setup, command, exit_wait, reap) from
the kernel's fork, exec and exit events (bench/phase_split.py): "phases" in the report. The
untraced times above do not include these runs.
"""

import argparse
import contextlib
import ctypes
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oci_bundle  # noqa: E402
import phase_split  # noqa: E402

TRUE = "/bin/true"


def private_mounts_without_hybrid_cgroup2():
    """crun 1.8 refuses a host with cgroup v1 plus a v2 hierarchy holding controllers
    ("hybrid mode"). In a private mount namespace of our own, hide the v2 mount under an
    empty tmpfs: crun then sees plain v1 and, with its cgroup manager disabled, leaves the
    host's cgroups alone. Every command runs from this same namespace, so all pay alike."""
    libc = ctypes.CDLL(None, use_errno=True)
    clone_newns, ms_rec, ms_private = 0x00020000, 0x4000, 1 << 18
    if libc.unshare(clone_newns) != 0:
        return "unshare(CLONE_NEWNS): " + os.strerror(ctypes.get_errno())
    if libc.mount(None, b"/", None, ms_rec | ms_private, None) != 0:
        return "make / private: " + os.strerror(ctypes.get_errno())
    unified = b"/sys/fs/cgroup/unified"
    if os.path.isdir(unified) and libc.mount(b"none", unified, b"tmpfs", 0, None) != 0:
        return "hide cgroup2: " + os.strerror(ctypes.get_errno())
    return None


def bwrap_argv():
    argv = ["bwrap", "--unshare-all", "--uid", "1000", "--gid", "100",
            "--hostname", "localhost", "--proc", "/proc", "--dev", "/dev"]
    for path in ("/usr", "/bin", "/lib", "/lib64"):
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            argv += ["--ro-bind", path, path]
    return argv + [TRUE]


def commands(sbx, floor, bundle, crun_state):
    cmds = {"direct": [TRUE]}
    if floor:
        # The floor of sbx run's whole work (bench/floor_run.cc): what sbx run is held to.
        cmds["floor_run"] = [floor, TRUE]
    if sbx:
        cmds["sbx_run"] = [sbx, "run", "--mode", "fast", "--", TRUE]
        cmds["sbx_run_lix"] = [sbx, "run", "--mode", "lix", "--", TRUE]
        # What starting the sbx binary alone costs (it prints the files it would write and
        # exits): the part of sbx_run that is not the sandbox.
        cmds["sbx_exec_only"] = [sbx, "files"]
    cmds["bwrap"] = bwrap_argv()
    cmds["unshare"] = ["unshare", "-Upfnimu", "--map-root-user", "--fork", TRUE]
    # crun needs a fresh container id per run; {n} is filled in for each.
    cmds["crun"] = ["crun", "--root", crun_state, "--cgroup-manager=disabled", "run",
                    "--bundle", bundle, "sbx-bench-%d-{n}" % os.getpid()]
    return cmds


def concrete(argv, n):
    return [a.replace("{n}", str(n)) for a in argv]


def run_once(argv):
    """Runs argv with no output; returns (seconds, exit status). posix_spawn (vfork in glibc)
    keeps the harness's own cost per run small and equal for every command."""
    actions = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
    start = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
    _, status = os.waitpid(pid, 0)
    return time.perf_counter() - start, os.waitstatus_to_exitcode(status)


# The tools whose runs are also split into phases (bench/phase_split.py).
PHASE_TOOLS = ("sbx_run", "floor_run", "unshare", "bwrap")


def run_traced(argv):
    """As run_once, on the trace's clock (CLOCK_MONOTONIC, ns); returns (pid, spawned,
    reaped, exit status)."""
    actions = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
    spawned = time.monotonic_ns()
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
    _, status = os.waitpid(pid, 0)
    reaped = time.monotonic_ns()
    return pid, spawned, reaped, os.waitstatus_to_exitcode(status)


def phase_round(trace, runnable, names, i, phases):
    """One traced run of each tool in names (order rotated by round i), split into phases;
    adds to phases[name] the ms of each phase, or counts a failure with its reason."""
    trace.start()
    runs = []
    try:
        for k in range(len(names)):
            name = names[(i + k) % len(names)]
            runs.append((name,) + run_traced(concrete(runnable[name], i)))
    finally:
        events = trace.stop()
    for name, pid, spawned, reaped, status in runs:
        entry = phases[name]
        if status != 0:
            reason = "exit %d" % status
            entry["failures"] += 1
            entry["errors"][reason] = entry["errors"].get(reason, 0) + 1
            continue
        try:
            split = phase_split.split(events, pid, TRUE, spawned, reaped)
        except phase_split.TraceError as e:
            # The pids differ per run; count by the reason's words only.
            reason = re.sub(r"\d+", "N", str(e))
            entry["failures"] += 1
            entry["errors"][reason] = entry["errors"].get(reason, 0) + 1
            continue
        entry["left_running"].append(split.pop("left_running"))
        split["total"] = reaped - spawned
        for phase, ns in split.items():
            entry["samples_ms"].setdefault(phase, []).append(round(ns / 1e6, 4))


def phase_report(phases):
    """Per tool: the median ms of each phase (and of the traced runs' total) over rounds."""
    out = {}
    for name, entry in phases.items():
        samples = entry["samples_ms"]
        out[name] = {
            "median_ms": {p: statistics.median(v) for p, v in samples.items() if v},
            "runs": len(samples.get("total", [])),
            # Processes it made still there when it exited (the most seen in a run).
            "left_running": max(entry["left_running"], default=None),
            "failures": entry["failures"],
            "errors": entry["errors"],
            "samples_ms": samples,
        }
    return out


def probe(argv, env=None):
    """None if argv runs and exits 0, else the reason (its stderr)."""
    try:
        res = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
                             env=env)
    except (OSError, subprocess.TimeoutExpired) as e:
        return str(e)
    if res.returncode != 0:
        err = res.stderr.decode(errors="replace").strip().splitlines()
        return "exit %d: %s" % (res.returncode, err[-1] if err else "")
    return None


def summarize(samples):
    ms = sorted(s * 1e3 for s in samples)
    q = statistics.quantiles(ms, n=10) if len(ms) >= 2 else [ms[0]] * 9
    return {"median_ms": statistics.median(ms), "mean_ms": statistics.fmean(ms),
            "p10_ms": q[0], "p90_ms": q[8], "runs": len(ms)}


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sbx", help="path of the sbx binary (left out if not given)")
    parser.add_argument("--floor", help="path of bench/floor_run, the floor of sbx run's whole "
                        "work (left out if not given)")
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--phase-rounds", type=int, default=None,
                        help="rounds that also trace %s into phases (default: --rounds; "
                        "0: none)" % ", ".join(PHASE_TOOLS))
    parser.add_argument("--out", required=True, help="JSON report to write")
    args = parser.parse_args()

    # A TERM (a timeout, a CI stop) unwinds like an interrupt: the trace instance is removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    report = {"rounds": args.rounds, "commands": {}, "unavailable": {}}
    why = private_mounts_without_hybrid_cgroup2()
    if why:
        report["setup_warning"] = why
        print("end_to_end: warning: " + why, file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="sbx-bench-e2e-") as tmp:
        bundle = os.path.join(tmp, "bundle")
        crun_state = os.path.join(tmp, "crun-state")
        os.makedirs(crun_state)
        oci_bundle.write_bundle(bundle, [TRUE])
        cmds = commands(args.sbx, args.floor, bundle, crun_state)

        runnable = {}
        for name, argv in cmds.items():
            reason = probe(concrete(argv, "probe"))
            if reason:
                report["unavailable"][name] = reason
                print("end_to_end: %s unavailable: %s" % (name, reason), file=sys.stderr)
            else:
                runnable[name] = argv
        names = list(runnable)
        samples = {n: [] for n in names}
        failures = {n: 0 for n in names}
        phase_rounds = args.rounds if args.phase_rounds is None else min(args.phase_rounds,
                                                                         args.rounds)
        phase_names = [n for n in PHASE_TOOLS if n in runnable]
        phases = {n: {"samples_ms": {}, "left_running": [], "failures": 0, "errors": {}}
                  for n in phase_names}
        with contextlib.ExitStack() as stack:
            trace = None
            if phase_rounds > 0 and phase_names:
                try:
                    # Mount tracefs only where the mount stays private to this process.
                    trace = stack.enter_context(phase_split.SchedTrace(may_mount=why is None))
                except OSError as e:
                    report["phases_unavailable"] = "tracing: %s" % e
                    print("end_to_end: no phase split: tracing: %s" % e, file=sys.stderr)
            for i in range(args.warmup + args.rounds):
                # Rotate the order every round: no command always runs first or after another.
                for k in range(len(names)):
                    name = names[(i + k) % len(names)]
                    seconds, status = run_once(concrete(runnable[name], i))
                    if i < args.warmup:
                        continue
                    if status == 0:
                        samples[name].append(seconds)
                    else:
                        failures[name] += 1
                # The traced runs come after the round's untraced ones, rotated likewise;
                # tracing is on only while they run.
                if trace and args.warmup <= i < args.warmup + phase_rounds:
                    phase_round(trace, runnable, phase_names, i, phases)
                if (i + 1) % max(1, (args.warmup + args.rounds) // 5) == 0:
                    print("end_to_end: round %d/%d" % (i + 1, args.warmup + args.rounds),
                          file=sys.stderr)

    for name, argv in runnable.items():
        if samples[name]:
            entry = summarize(samples[name])
            # Every round's time, in round order: the regression check pairs them by round.
            entry["samples_ms"] = [round(t * 1e3, 4) for t in samples[name]]
        else:
            entry = {}
            report["unavailable"][name] = "every run failed"
        entry["argv"] = argv
        entry["failures"] = failures[name]
        report["commands"][name] = entry

    med = {n: c["median_ms"] for n, c in report["commands"].items() if "median_ms" in c}
    report["ratios"] = {
        "%s_over_%s" % (a, b): med[a] / med[b]
        for a in ("sbx_run", "sbx_run_lix")
        for b in ("floor_run", "bwrap", "unshare", "crun", "direct")
        if a in med and b in med}
    if phases and "phases_unavailable" not in report:
        report["phases"] = {"rounds": phase_rounds, "order": list(phase_split.PHASES),
                            "tools": phase_report(phases)}
    with open(args.out, "w") as f:
        json.dump(report, f, indent=2)
    for name, m in sorted(med.items(), key=lambda kv: kv[1]):
        print("end_to_end: %-12s %8.2f ms median" % (name, m), file=sys.stderr)
    for name, entry in report.get("phases", {}).get("tools", {}).items():
        if entry["median_ms"]:
            print("end_to_end: phases of %-8s %s" % (name, " ".join(
                "%s %.3f" % kv for kv in entry["median_ms"].items())), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
