#!/usr/bin/python3
"""The phase split (bench/phase_split.py) on synthetic ftrace text with known answers: the
process shapes of unshare (one fork), bwrap (a fork under its pid 1) and sbx (a helper, a
guard that outlives it, the sandboxed child forked from a thread), amid other processes'
events; then the split's medians through summarize.py into report_md.py's table. Needs no
tracing and no root."""

import json
import os
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import phase_split  # noqa: E402
import report_md  # noqa: E402
import summarize  # noqa: E402

HEADER = """# tracer: nop
#
# entries-in-buffer/entries-written: 9/9   #P:2
#           TASK-PID       TGID    CPU#  |||||  TIMESTAMP  FUNCTION
#              | |           |       |   |||||     |         |
"""


def line(us, comm, pid, tgid, event, body):
    """One line as the kernel prints it; us: the timestamp in µs."""
    tg = "-------" if tgid is None else "%7d" % tgid
    return "%16s-%-7d (%s) [001] .....  %d.%06d: %s: %s\n" % (
        comm, pid, tg, us // 10**6, us % 10**6, event, body)


def fork(us, comm, pid, tgid, child):
    return line(us, comm, pid, tgid, "sched_process_fork",
                "comm=%s pid=%d child_comm=%s child_pid=%d" % (comm, pid, comm, child))


def exec_(us, comm, pid, filename):
    return line(us, comm, pid, pid, "sched_process_exec",
                "filename=%s pid=%d old_pid=%d" % (filename, pid, pid))


def exit_(us, comm, pid, tgid):
    return line(us, comm, pid, tgid, "sched_process_exit",
                "comm=%s pid=%d prio=120 group_dead=true" % (comm, pid))


BASE_US = 5000 * 10**6  # the trace clock's seconds are since boot; any start will do
US = 1000  # ns


def at(us):
    return (BASE_US + us) * US


HARNESS = 100


def unshare_trace():
    t = BASE_US
    return HEADER + "".join([
        fork(t + 10, "python3", HARNESS, HARNESS, 200),
        exec_(t + 300, "unshare", 200, "/usr/bin/unshare"),
        fork(t + 900, "unshare", 200, 200, 201),
        exec_(t + 1500, "true", 201, "/bin/true"),
        exit_(t + 1800, "true", 201, 201),
        exit_(t + 2000, "unshare", 200, 200),
    ])


def sbx_trace():
    """sbx (pid 300) with a thread 301; a helper 302 that exits at once, a guard 303 that
    outlives sbx, and the sandboxed child 304 cloned from thread 301. Around it: an
    unrelated /bin/true (400) and a marker line."""
    t = BASE_US
    return HEADER + "".join([
        fork(t + 5, "python3", HARNESS, HARNESS, 400),
        fork(t + 10, "python3", HARNESS, HARNESS, 300),
        exec_(t + 20, "true", 400, "/bin/true"),
        exec_(t + 200, "sbx", 300, "/opt/sbx with space/sbx"),
        fork(t + 400, "sbx", 300, 300, 302),
        exit_(t + 450, "sbx", 302, 302),
        fork(t + 500, "sbx", 300, 300, 303),
        fork(t + 600, "sbx", 300, 300, 301),  # a thread: its events carry tgid 300
        fork(t + 1100, "sbx-worker", 301, 300, 304),
        "        python3-100     (    100) [000] ...1.  5000.001200: tracing_mark_write: x\n",
        exec_(t + 1700, "true", 304, "/bin/true"),
        exit_(t + 1900, "true", 304, 304),
        exit_(t + 2100, "sbx-worker", 301, 300),
        exit_(t + 2300, "sbx", 300, 300),
        exit_(t + 2500, "true", 400, 400),
        exit_(t + 9000, "sbx", 303, 303),
    ])


def bwrap_trace():
    """bwrap (500) clones its pid 1 (501), which forks the command (502) and exits after
    bwrap has; the comm holds a dash and one tgid is not known."""
    t = BASE_US
    return HEADER + "".join([
        fork(t + 10, "python3", HARNESS, HARNESS, 500),
        exec_(t + 250, "bwrap", 500, "/usr/bin/bwrap"),
        fork(t + 700, "bwrap", 500, 500, 501),
        fork(t + 1300, "bwrap-init", 501, None, 502),
        exec_(t + 2000, "true", 502, "/bin/true"),
        exit_(t + 2200, "true", 502, 502),
        exit_(t + 2600, "bwrap", 500, 500),
        exit_(t + 2900, "bwrap-init", 501, 501),
    ])


class SplitTest(unittest.TestCase):
    def check(self, text, tool, want_us, left):
        events = phase_split.parse(text)
        got = phase_split.split(events, tool, "/bin/true", at(0), at(want_us["end"]))
        want = {"spawn": want_us["exec"], "start": want_us["clone"] - want_us["exec"],
                "setup": want_us["cmd"] - want_us["clone"],
                "command": want_us["cmd_exit"] - want_us["cmd"],
                "exit_wait": want_us["tool_exit"] - want_us["cmd_exit"],
                "reap": want_us["end"] - want_us["tool_exit"]}
        self.assertEqual({p: got[p] // US for p in phase_split.PHASES}, want)
        self.assertEqual(sum(got[p] for p in phase_split.PHASES), at(want_us["end"]) - at(0))
        self.assertEqual(got["left_running"], left)

    def test_unshare_one_fork(self):
        self.check(unshare_trace(), 200, {"exec": 300, "clone": 900, "cmd": 1500,
                                          "cmd_exit": 1800, "tool_exit": 2000, "end": 2100}, 0)

    def test_bwrap_second_fork_is_setup(self):
        self.check(bwrap_trace(), 500, {"exec": 250, "clone": 700, "cmd": 2000,
                                        "cmd_exit": 2200, "tool_exit": 2600, "end": 2700}, 1)

    def test_sbx_fork_from_thread_helpers_and_strangers(self):
        # The clone is the thread's fork at 1100, not the thread's creation at 600 nor the
        # helpers'; the tool's exit is its last thread's; the stranger /bin/true is not it.
        self.check(sbx_trace(), 300, {"exec": 200, "clone": 1100, "cmd": 1700,
                                      "cmd_exit": 1900, "tool_exit": 2300, "end": 2400}, 1)

    def test_parse_fields(self):
        events = phase_split.parse(sbx_trace())
        self.assertEqual(len(events), 15)  # the marker and header lines are skipped
        tool_exec = [e for e in events if e["pid"] == 300 and e["event"] == "sched_process_exec"]
        self.assertEqual(tool_exec[0]["filename"], "/opt/sbx with space/sbx")
        self.assertEqual(tool_exec[0]["ts_ns"], at(200))
        thread_fork = [e for e in events if e.get("child") == 304][0]
        self.assertEqual((thread_fork["pid"], thread_fork["tgid"]), (301, 300))
        unknown = [e for e in phase_split.parse(bwrap_trace()) if e.get("child") == 502][0]
        self.assertIsNone(unknown["tgid"])

    def test_no_command_exec(self):
        text = "".join(l for l in unshare_trace().splitlines(True) if "/bin/true" not in l)
        with self.assertRaisesRegex(phase_split.TraceError, "no exec of /bin/true"):
            phase_split.split(phase_split.parse(text), 200, "/bin/true", at(0), at(2100))

    def test_command_of_another_process_is_not_taken(self):
        # Only the stranger's /bin/true is left: not under the tool, so no split.
        text = "".join(l for l in sbx_trace().splitlines(True) if "pid=304" not in l)
        with self.assertRaises(phase_split.TraceError):
            phase_split.split(phase_split.parse(text), 300, "/bin/true", at(0), at(2400))

    def test_reaped_before_exit_is_refused(self):
        with self.assertRaisesRegex(phase_split.TraceError, "out of order"):
            phase_split.split(phase_split.parse(unshare_trace()), 200, "/bin/true",
                              at(0), at(1000))

    def test_malformed_event_body(self):
        bad = line(BASE_US, "x", 1, 1, "sched_process_fork", "comm=x pid=1")
        with self.assertRaises(phase_split.TraceError):
            phase_split.parse(HEADER + bad)


class SummaryTest(unittest.TestCase):
    """What end_to_end.py writes of the phases, through the summary into the report."""

    E2E = {"phases": {"rounds": 3, "order": list(phase_split.PHASES), "tools": {
        "sbx_run": {"median_ms": {"spawn": 0.2, "start": 1.5, "setup": 0.4, "command": 0.3,
                                  "exit_wait": 0.25, "reap": 0.05, "total": 2.9},
                    "runs": 3, "failures": 0, "left_running": 1},
        "unshare": {"median_ms": {"spawn": 0.3, "start": 0.5, "setup": 0.6, "command": 0.3,
                                  "exit_wait": 0.1, "reap": 0.05, "total": 1.9},
                    "runs": 2, "failures": 1, "left_running": 0}}}}

    def test_medians_per_tool_and_phase(self):
        ms, info = summarize.end_to_end_phases(self.E2E)
        self.assertEqual(ms["sbx_run"]["start"], 1.5)
        self.assertEqual(ms["unshare"]["total"], 1.9)
        self.assertEqual(info["order"], list(phase_split.PHASES) + ["total"])
        self.assertEqual((info["failures"]["unshare"], info["left_running"]["sbx_run"]),
                         (1, 1))

    def test_report_table(self):
        ms, info = summarize.end_to_end_phases(self.E2E)
        md = report_md.phase_section({"end_to_end_phases_ms": ms, "end_to_end_phases": info})
        self.assertIn("| start | 1.50 | 0.50 | +1.00 |", md)
        self.assertIn("sbx_run 1 process(es)", md)
        self.assertIn("unshare 1", md)

    def test_not_measured(self):
        ms, info = summarize.end_to_end_phases({"phases_unavailable": "tracing: EPERM"})
        self.assertEqual(ms, {})
        self.assertIn("Not measured: tracing: EPERM",
                      report_md.phase_section({"end_to_end_phases_ms": ms,
                                               "end_to_end_phases": info}))


UNSHARE = ["unshare", "-Upfnimu", "--map-root-user", "--fork", "/bin/true"]


def live_split():
    """In a private mount namespace (see LiveTraceTest): one traced run of UNSHARE, split;
    prints the split as JSON."""
    with phase_split.SchedTrace(name="sbx-phase-split-test-%d" % os.getpid()) as trace:
        trace.start()
        try:
            spawned = time.monotonic_ns()
            pid = os.posix_spawnp(UNSHARE[0], UNSHARE, os.environ)
            _, status = os.waitpid(pid, 0)
            reaped = time.monotonic_ns()
        finally:
            events = trace.stop()
    if status != 0:
        sys.exit("unshare failed: %d" % status)
    split = phase_split.split(events, pid, "/bin/true", spawned, reaped)
    split["wall"] = reaped - spawned
    print(json.dumps(split))


@unittest.skipUnless(os.geteuid() == 0 and shutil.which("unshare"),
                     "needs root (ftrace, namespaces) and unshare(1)")
class LiveTraceTest(unittest.TestCase):
    """The kernel's own trace text, not a synthetic one: a real run of unshare splits."""

    def test_unshare_run_splits(self):
        res = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable,
                              os.path.abspath(__file__), "--live-split"],
                             capture_output=True, text=True, timeout=60)
        if res.returncode != 0 and "Operation not permitted" in res.stderr:
            self.skipTest("no user namespaces or tracing here: " + res.stderr.strip())
        self.assertEqual(res.returncode, 0, res.stderr)
        split = json.loads(res.stdout)
        for p in phase_split.PHASES:
            self.assertGreater(split[p], 0, p)
        self.assertEqual(sum(split[p] for p in phase_split.PHASES), split["wall"])
        self.assertEqual(split["left_running"], 0)


if __name__ == "__main__":
    if sys.argv[1:] == ["--live-split"]:
        live_split()
        sys.exit(0)
    unittest.main()
