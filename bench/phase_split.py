#!/usr/bin/env python3
"""Per-phase split of one sandboxed run, measured from outside and the same way for every
tool (issue 15): the kernel's own process events, from a private ftrace instance.

Events (sched_process_fork/exec/exit, cheap tracepoints; no ptrace, so the traced program
runs at its own speed) are recorded for the harness and its descendants only (set_event_pid
with event-fork), on the CLOCK_MONOTONIC trace clock, which is the clock of
time.monotonic_ns(): the harness's own spawn and reap instants fall on the same axis.

Phases of one run, which add up to its wall time:
  spawn      the harness's posix_spawn -> the tool's execve done (sched_process_exec)
  start      -> the fork of the tool's first process on the way to the command (the
             sandboxed child; unshare's fork after its unshare(2), bwrap's clone)
  setup      -> the exec of the command in the sandbox (for bwrap this holds its second
             fork, of the command under its pid 1)
  command    -> the command's exit
  exit_wait  -> the tool's exit (its last thread's sched_process_exit)
  reap       -> the harness's waitpid returns
and, not a time: left_running, how many processes the tool made were still there at its
exit (sbx's guard, bwrap's pid 1), off the wall time but not free.
"""

import os
import re
import tempfile

PHASES = ("spawn", "start", "setup", "command", "exit_wait", "reap")
EVENTS = ("sched_process_fork", "sched_process_exec", "sched_process_exit")

# "  comm-pid  (  tgid) [cpu] flags  secs.usecs: event: body"; comm may hold '-' and
# spaces, and tgid is dashes when the kernel did not record it.
LINE = re.compile(r"^\s*(?P<comm>.*)-(?P<pid>\d+)\s+\(\s*(?P<tgid>[-\d]+)\)\s+\[\d+\]\s+\S+\s+"
                  r"(?P<sec>\d+)\.(?P<usec>\d+):\s+(?P<event>\w+):\s+(?P<body>.*)$")
BODY = {
    "sched_process_fork": re.compile(r"comm=.* pid=(?P<parent>\d+) child_comm=.* "
                                     r"child_pid=(?P<child>\d+)$"),
    "sched_process_exec": re.compile(r"filename=(?P<filename>.*) pid=(?P<pid>\d+) "
                                     r"old_pid=\d+$"),
    "sched_process_exit": re.compile(r"comm=.* pid=(?P<pid>\d+) prio=-?\d+"),
}


class TraceError(Exception):
    """A run's events do not show the sequence the phases need."""


def parse(text):
    """The fork, exec and exit events of a trace file's text, in order, as dicts with
    ts_ns, event, pid (the task, a thread id), tgid (None if unknown) and the event's
    fields (fork: child; exec: filename). Other lines (headers, markers) are skipped."""
    events = []
    for line in text.splitlines():
        m = LINE.match(line)
        if not m or m["event"] not in BODY:
            continue
        body = BODY[m["event"]].match(m["body"])
        if not body:
            raise TraceError("unexpected %s line: %r" % (m["event"], line))
        # The printed fraction is in microseconds (6 digits); scale whatever width it has.
        frac = m["usec"]
        ev = {"ts_ns": int(m["sec"]) * 10**9 + int(frac) * 10**(9 - len(frac)),
              "event": m["event"], "pid": int(m["pid"]),
              "tgid": int(m["tgid"]) if m["tgid"].strip("-") else None}
        if m["event"] == "sched_process_fork":
            ev["child"] = int(body["child"])
        elif m["event"] == "sched_process_exec":
            ev["filename"] = body["filename"]
        events.append(ev)
    events.sort(key=lambda e: e["ts_ns"])
    return events


def process_of(ev):
    """The process (thread group) an event ran in: a fork from a thread counts for its
    process, so the walk from the command up to the tool skips thread creations."""
    return ev["tgid"] if ev["tgid"] is not None else ev["pid"]


def split(events, tool_pid, command, spawn_ns, reaped_ns):
    """The phases (ns) of the run whose tool was spawned as tool_pid and ran `command`
    (its path as passed to execve) in a sandboxed descendant; spawn_ns and reaped_ns are
    the harness's CLOCK_MONOTONIC instants around posix_spawn and waitpid."""
    forks = {}  # child pid -> the fork event that made it
    for ev in events:
        if ev["event"] == "sched_process_fork":
            forks.setdefault(ev["child"], ev)

    def descends(pid):
        seen = set()
        while pid != tool_pid:
            if pid in seen or pid not in forks:
                return False
            seen.add(pid)
            pid = process_of(forks[pid])
        return True

    tool_exec = next((e for e in events if e["event"] == "sched_process_exec"
                      and e["pid"] == tool_pid), None)
    if tool_exec is None:
        raise TraceError("no exec of the tool (pid %d)" % tool_pid)
    base = os.path.basename(command)
    execs = [e for e in events if e["event"] == "sched_process_exec" and e["pid"] != tool_pid
             and e["ts_ns"] >= tool_exec["ts_ns"] and descends(e["pid"])]
    # The path as passed (a tool may resolve it through PATH or its own root): exact first.
    cmd_exec = (next((e for e in execs if e["filename"] == command), None) or
                next((e for e in execs if os.path.basename(e["filename"]) == base), None))
    if cmd_exec is None:
        raise TraceError("no exec of %s under the tool (pid %d)" % (command, tool_pid))
    cmd_pid = cmd_exec["pid"]

    # Up from the command to the fork made by the tool's own process.
    pid, clone = cmd_pid, None
    while clone is None:
        fork = forks.get(pid)
        if fork is None:
            raise TraceError("no fork of pid %d on the way to the command" % pid)
        if process_of(fork) == tool_pid:
            clone = fork
        pid = process_of(fork)

    cmd_exit = next((e for e in events if e["event"] == "sched_process_exit"
                     and e["pid"] == cmd_pid and e["ts_ns"] >= cmd_exec["ts_ns"]), None)
    tool_exits = [e for e in events if e["event"] == "sched_process_exit"
                  and process_of(e) == tool_pid]
    if cmd_exit is None or not tool_exits:
        raise TraceError("no exit of the %s (pid %d)" % (
            "command" if cmd_exit is None else "tool", cmd_pid if cmd_exit is None else tool_pid))
    tool_exit = max(e["ts_ns"] for e in tool_exits)
    marks = (spawn_ns, tool_exec["ts_ns"], clone["ts_ns"], cmd_exec["ts_ns"], cmd_exit["ts_ns"],
             tool_exit, reaped_ns)
    if any(b < a for a, b in zip(marks, marks[1:])):
        raise TraceError("events out of order: %s" % (marks,))
    out = {p: b - a for p, a, b in zip(PHASES, marks, marks[1:])}
    # Processes of the tool's making not yet gone when it exits: they are off the wall
    # time but not free (sbx's guard, bwrap's pid 1 finishing after it reported).
    gone = {e["pid"] for e in events
            if e["event"] == "sched_process_exit" and e["ts_ns"] <= tool_exit}
    made = {c for c, f in forks.items() if descends(c) and c != tool_pid}
    threads = {e["pid"] for e in events if e["tgid"] is not None and e["tgid"] != e["pid"]}
    out["left_running"] = len(made - gone - threads)
    return out


class SchedTrace:
    """A private ftrace instance recording fork, exec and exit of this process and its
    descendants. Needs root and, when tracefs is not mounted, a private mount namespace
    (it is mounted on a temporary directory, which only this namespace sees). Everything
    it sets is undone on close, also after an error: the instance is removed and a mount it
    made is unmounted."""

    def __init__(self, name=None, buffer_kb=4096, may_mount=True):
        self.name = name or "sbx-bench-phases-%d" % os.getpid()
        self.buffer_kb, self.may_mount = buffer_kb, may_mount
        self.mounted = None
        self.dir = None

    def __enter__(self):
        try:
            self._open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def _write(self, rel, value):
        with open(os.path.join(self.dir, rel), "w") as f:
            f.write(value)

    def _open(self):
        import ctypes
        root = "/sys/kernel/tracing"
        if not os.path.isdir(os.path.join(root, "instances")):
            if not self.may_mount:
                raise OSError("tracefs is not mounted, and there is no private mount "
                              "namespace to mount it in")
            where = tempfile.mkdtemp(prefix="sbx-bench-tracefs-")
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.mount(b"nodev", where.encode(), b"tracefs", 0, None) != 0:
                error = ctypes.get_errno()
                os.rmdir(where)
                raise OSError(error, "mounting tracefs: " + os.strerror(error))
            self.mounted = root = where
        path = os.path.join(root, "instances", self.name)
        os.mkdir(path)
        self.dir = path
        self._write("tracing_on", "0")
        self._write("trace_clock", "mono")  # the clock of time.monotonic_ns()
        self._write("buffer_size_kb", str(self.buffer_kb))
        self._write("options/record-tgid", "1")
        self._write("set_event_pid", str(os.getpid()))
        self._write("options/event-fork", "1")
        for ev in EVENTS:
            self._write("events/sched/%s/enable" % ev, "1")

    def start(self):
        """Empties the buffer and starts recording."""
        open(os.path.join(self.dir, "trace"), "w").close()  # O_TRUNC clears the buffer
        self._write("tracing_on", "1")

    def stop(self):
        """Stops recording; returns the parsed events recorded since start()."""
        self._write("tracing_on", "0")
        with open(os.path.join(self.dir, "trace")) as f:
            return parse(f.read())

    def close(self):
        if self.dir:
            try:
                self._write("tracing_on", "0")
                for ev in EVENTS:
                    self._write("events/sched/%s/enable" % ev, "0")
            finally:
                os.rmdir(self.dir)  # an instance's removal frees its buffer and settings
                self.dir = None
        if self.mounted:
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.umount2(self.mounted.encode(), 0) != 0:
                raise OSError(ctypes.get_errno(), "unmounting tracefs")
            os.rmdir(self.mounted)
            self.mounted = None
