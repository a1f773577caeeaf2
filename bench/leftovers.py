"""What a run of sandboxes may leave behind, found from outside (bench/throughput.py):
sbx-* entries in the directories where sbx, the floor and the benchmark make their roots
and build dirs, and processes still running that the tools made.

snapshot() and the process list read the machine; new_entries() and strays() are pure, for
bench/throughput_stats_test.py.
"""

import os

PREFIX = "sbx-"


def snapshot(dirs):
    """{dir: set of entry names starting with sbx-} for each directory that exists."""
    out = {}
    for d in dirs:
        try:
            out[d] = {n for n in os.listdir(d) if n.startswith(PREFIX)}
        except FileNotFoundError:
            out[d] = set()
    return out


def new_entries(before, after, ours=()):
    """Paths in `after` that were not in `before`, sorted; names starting with one of
    `ours` (the benchmark's own scratch directories) are not leftovers."""
    found = []
    for d, names in after.items():
        for n in sorted(names - before.get(d, set())):
            if not any(n.startswith(o) for o in ours):
                found.append(os.path.join(d, n))
    return found


def parse_stat_line(text):
    """(pid, comm, state, ppid) from the text of /proc/PID/stat (comm may hold spaces and
    parentheses: it runs to the last ')')."""
    head, _, tail = text.rpartition(")")
    pid, _, comm = head.partition(" (")
    fields = tail.split()
    return int(pid), comm, fields[0], int(fields[1])


def processes():
    """[(pid, comm, state, ppid)] of every process now (those gone mid-read are skipped)."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                out.append(parse_stat_line(f.read()))
        except (OSError, ValueError, IndexError):
            continue
    return out


def strays(procs, root_pid):
    """The processes descending from root_pid (not itself), as [(pid, comm, state)]:
    after every run was reaped, none should be left."""
    children = {}
    for pid, comm, state, ppid in procs:
        children.setdefault(ppid, []).append((pid, comm, state))
    out, todo = [], [root_pid]
    while todo:
        for pid, comm, state in children.get(todo.pop(), []):
            out.append((pid, comm, state))
            todo.append(pid)
    return sorted(out)
