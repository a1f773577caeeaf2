"""The results of one `harness run`, suite by suite, read back from what the suites left.

report/run_all.sh writes one row per suite to suites.tsv; this module turns each row into
test cases, counted the way the suite counts them itself:
- bazel suites: count_tests.py's cases (one per gtest case; one per target without cases);
- fuzz: one case per fuzz target in out/fuzz/summary.json, failed when it found a crash;
- bench: one case per benchmark family run, one per budget, and one per ratio the A/B
  regression check judged (or one skipped case: no base revision, not judged).
A suite whose command failed without a failing case (build error, no summary) gets a
suite-level error, kept apart from the case counts.
"""
import json
import os
import pathlib
import re

import count_tests
import coverage_section

FIELDS = ("name", "title", "kind", "state", "exit", "seconds", "started", "log", "testlogs",
          "command", "note")
LOG_TAIL_LINES = 40


def read_table(path):
    """Rows of suites.tsv as dicts; relative paths are relative to the table."""
    base = pathlib.Path(path).parent
    rows = []
    for line in pathlib.Path(path).read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        values = line.split("\t") + [""] * len(FIELDS)
        row = dict(zip(FIELDS, values))
        row["exit"] = int(row["exit"] or 0)
        row["seconds"] = float(row["seconds"] or 0)
        row["started"] = float(row["started"] or 0)
        for key in ("log", "testlogs"):
            if row[key] and not os.path.isabs(row[key]):
                row[key] = str(base / row[key])
        rows.append(row)
    return rows


def _case(group, name, outcome, message="", text="", time=0.0, classname=""):
    return {"group": group, "name": name, "classname": classname, "outcome": outcome,
            "message": message, "text": text, "time": time}


def read_text(path):
    try:
        return pathlib.Path(path).read_text(errors="replace")
    except OSError:
        return ""


def _tail(text, lines=LOG_TAIL_LINES):
    return "\n".join(text.splitlines()[-lines:])


def _test_log_tail(text):
    """The end of a Bazel test.log, without the header Bazel puts above the test's output."""
    head, sep, rest = text.partition("-" * 77 + "\n")
    return _tail(rest if sep and "Executing tests from" in head else text)


def _error_lines(log_text):
    return "\n".join(l for l in log_text.splitlines() if l.startswith("ERROR:"))[:4000]


def bazel_cases(log_text, testlogs):
    cases = []
    for target, status, records in count_tests.target_results(log_text, testlogs):
        pkg, _, name = target[2:].partition(":")
        for r in records:
            case = _case(target, r["name"], r["outcome"], r["message"], r["text"], r["time"],
                         r["classname"])
            if case["outcome"] == "failed" and case["message"] in count_tests.NOT_RUN:
                case["message"] += ": Bazel did not run this test (see the errors below)"
            if case["outcome"] == "failed" and not case["text"].strip():
                # Bazel's own XML says only "exited with error code 1": show the test's log.
                if status in count_tests.NOT_RUN:
                    case["text"] = _error_lines(log_text)
                else:
                    case["text"] = _test_log_tail(
                        read_text(os.path.join(testlogs, pkg, name, "test.log")))
            cases.append(case)
    return cases


CONFORMANCE_MARK = "conformance-results: "


def conformance_results(log_text, testlogs):
    """The implementations the conformance targets (//conformance:*) of this run judged:
    conformance.py prints them as one JSON line in each target's test.log."""
    impls = []
    for target, status, _ in count_tests.target_results(log_text, testlogs):
        pkg, _, name = target[2:].partition(":")
        if pkg != "conformance" or status in count_tests.NOT_RUN:
            continue
        for line in read_text(os.path.join(testlogs, pkg, name, "test.log")).splitlines():
            if line.startswith(CONFORMANCE_MARK):
                try:
                    judged = json.loads(line[len(CONFORMANCE_MARK):])
                except ValueError:
                    continue
                # A host variant's run (variant_X_test) is its own column of the matrix.
                if name.startswith("variant_") and name.endswith("_test"):
                    for impl in judged:
                        impl["name"] += " on " + name[len("variant_"):-len("_test")]
                impls += judged
    return impls


def _fresh(path, started):
    """The file, parsed, if this run wrote it (not left over from an earlier run)."""
    try:
        if os.path.getmtime(path) + 1 < started:
            return None
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def fuzz_cases(summary):
    cases = []
    seen = set()
    for t in summary.get("targets", []):
        name = t.get("target", "?")
        seen.add(name)
        if t.get("skipped"):
            cases.append(_case("", name, "skipped", t.get("reason", "skipped")))
        elif t.get("crashes") or name in summary.get("failed", []) or t.get("exit_code"):
            cases.append(_case("", name, "failed",
                               "%s crash(es), exit %s; inputs in out/fuzz/%s/crashes/" % (
                                   t.get("crashes", 0), t.get("exit_code"), name),
                               _tail(read_text(t["log"])) if t.get("log") else "",
                               t.get("seconds") or 0.0))
        else:
            cases.append(_case("", name, "passed", time=t.get("seconds") or 0.0))
    for name in summary.get("failed", []):
        if name not in seen:
            cases.append(_case("", name, "failed", "failed before writing its numbers"))
    return cases


def fuzz_extra_cases(extra):
    """Cases from the fuzz suite's other modes, when this run made them: each planted bug
    and mode (failed when not found within its limit, also when its fuzzer was switched off), and
    each guest kernel of the differential (failed on a disagreement or a failed agreement
    test)."""
    cases = []
    for b in (extra.get("planted") or {}).get("bugs", []):
        name = "planted %s (%s)" % (b["bug"], b["mode"])
        if b.get("found"):
            cases.append(_case("", name, "passed", time=b["seconds"]))
        else:
            cases.append(_case("", name, "failed", "%s within %s s" % (
                b["verdict"], b["limit_seconds"]), read_text(b["log"])[-2000:]))
    for k in (extra.get("in_vm") or {}).get("kernels", []):
        ok = k["verdict"] == "agree" and k["agreement_test"].startswith("passed")
        cases.append(_case("", "id_map_kernel in %s" % k["kernel"], "passed" if ok else "failed",
                           "" if ok else "%s; agreement test %s" % (k["verdict"],
                                                                    k["agreement_test"])))
    return cases


# bench/ab_compare.py's final lines (not its "suspected" ones) and bench/budgets.py's.
AB_OK = re.compile(r"^ab: ([a-z_]+\.[a-z_0-9]+): (.*): ok$")
AB_BAD = re.compile(r"^ab: REGRESSION ([a-z_]+\.[a-z_0-9]+):? (.*)$")
AB_NONE = re.compile(r"^ab: ([a-z_]+\.[a-z_0-9]+): not compared")
BUDGET_OK = re.compile(r"^budget: ([a-z_0-9]+) = (.*): ok$")
BUDGET_BAD = re.compile(r"^budget: MISSED ([a-z_0-9]+) ")
BUDGET_NONE = re.compile(r"^budget: ([a-z_0-9]+): not measured")
FAMILY_RAN = re.compile(r"^bench: running (\w+) \(")
FAMILY_BAD = re.compile(r"^bench: error: (\w+) (failed|timed out.*)")
NOT_JUDGED = "no base revision: not judged"


def bench_cases(log_text, judged, bench_dir, started):
    """Cases from bench/run_all.sh's own lines: families run, budgets, ratios judged A/B. A
    family passes when it reported no error and left its results (BENCH_DIR/FAMILY.json)."""
    cases = []
    families, bad = [], {}
    for line in log_text.splitlines():
        m = FAMILY_RAN.match(line)
        if m and m.group(1) not in families:
            families.append(m.group(1))
        m = FAMILY_BAD.match(line)
        if m:
            bad[m.group(1)] = line
    for family in families:
        if family in bad:
            cases.append(_case("benchmarks", family, "failed", bad[family]))
        elif bench_dir and _fresh(os.path.join(bench_dir, family + ".json"), started) is None:
            cases.append(_case("benchmarks", family, "failed",
                               "no results: %s.json missing or unreadable (the run stopped "
                               "before the family finished)" % family))
        else:
            cases.append(_case("benchmarks", family, "passed"))
    checks = (("budgets (any machine)", "budget: ", BUDGET_OK, BUDGET_BAD, BUDGET_NONE),
              ("regression check (A/B)", "ab: ", AB_OK, AB_BAD, AB_NONE))
    for line in log_text.splitlines():
        for group, prefix, ok, fail, none in checks:
            for pattern, outcome in ((ok, "passed"), (fail, "failed"), (none, "skipped")):
                m = pattern.match(line)
                if m:
                    cases.append(_case(group, m.group(1), outcome,
                                       "" if outcome == "passed" else line[len(prefix):]))
                    break
    if not judged:
        cases.append(_case("regression check (A/B)", "base", "skipped", NOT_JUDGED))
    return cases


def load(row, fuzz_summary=None, bench_dir=None):
    """One suite's results: the row plus cases, counts, error and result."""
    suite = dict(row)
    suite["cases"], suite["error"], suite["extra"] = [], "", {}
    log_text = read_text(row["log"]) if row["log"] else ""
    if row["state"] != "ran":
        suite["result"] = "not available"
        suite["counts"] = {"passed": 0, "failed": 0, "skipped": 0}
        return suite
    if row["kind"] == "bazel":
        suite["cases"] = bazel_cases(log_text, row["testlogs"] or "bazel-testlogs")
        conformance = conformance_results(log_text, row["testlogs"] or "bazel-testlogs")
        if conformance:
            suite["extra"]["conformance"] = conformance
    elif row["kind"] == "fuzz":
        summary = _fresh(fuzz_summary, row["started"]) if fuzz_summary else None
        if summary is not None:
            suite["cases"] = fuzz_cases(summary)
            suite["extra"]["fuzz"] = summary
        # The other modes (./harness fuzz --planted, --in-vm, --campaign): shown when they
        # ran at all, counted as cases only when they ran within this run.
        fresh = {}
        for mode in ("planted", "in_vm", "campaign"):
            path = os.path.join(os.path.dirname(fuzz_summary or "out/fuzz/x"), mode + ".json")
            other = _fresh(path, 0)
            if other is not None:
                other["this_run"] = _fresh(path, row["started"]) is not None
                suite["extra"][mode] = other
                if other["this_run"]:
                    fresh[mode] = other
        suite["cases"] += fuzz_extra_cases(fresh)
    elif row["kind"] == "coverage":
        suite["cases"] = coverage_section.cases("out/coverage")
    elif row["kind"] == "bench":
        judged = "--base" in row["command"]
        suite["cases"] = bench_cases(log_text, judged, bench_dir, row["started"])
        if bench_dir:
            summary = _fresh(os.path.join(bench_dir, "summary.json"), row["started"])
            if summary is not None:
                suite["extra"]["bench"] = summary
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for case in suite["cases"]:
        counts[case["outcome"]] += 1
    suite["counts"] = counts
    # Bazel's exit status 4: no test target matched the filters.
    no_tests = row["kind"] == "bazel" and row["exit"] == 4 and not suite["cases"]
    if row["exit"] != 0 and not no_tests and not counts["failed"]:
        suite["error"] = "%s exited with status %d without a failing test case" % (
            row["title"] or row["name"], row["exit"])
        suite["error_text"] = _error_lines(log_text) or _tail(log_text)
    if counts["failed"] or suite["error"]:
        suite["result"] = "failed"
    elif no_tests:
        suite["result"] = "not available"
        suite["note"] = "; ".join(filter(None, (suite["note"], "no test targets matched")))
    elif not suite["cases"]:
        suite["result"] = "failed"
        suite["error"] = "no test case ran"
        suite["error_text"] = _tail(log_text)
    else:
        suite["result"] = "passed"
    if row["kind"] == "bench" and "--base" not in row["command"] and \
            NOT_JUDGED not in suite["note"]:
        # Ran and within budget, but not judged against a base: said, and not a failure.
        suite["note"] = "; ".join(filter(None, (suite["note"], NOT_JUDGED)))
    return suite


def load_all(table_path, fuzz_summary=None, bench_dir=None):
    return [load(row, fuzz_summary, bench_dir) for row in read_table(table_path)]


KERNEL_VARIANT = re.compile(r"^//[^:]*:(.+)_(\d+\.\d+)$")  # vm_test_per_kernel's NAME_KERNEL


def kernel_matrix(suites):
    """The VM tests by kernel: (kernels, rows); a row is (test, {kernel: counts}), counts a
    dict of passed/failed/skipped cases of that test's variant for that kernel."""
    kernels, rows = set(), {}
    for s in suites:
        for case in s["cases"] if s["kind"] == "bazel" else ():
            m = KERNEL_VARIANT.match(case["group"])
            if not m:
                continue
            test, kernel = m.groups()
            kernels.add(kernel)
            counts = rows.setdefault(test, {}).setdefault(
                kernel, {"passed": 0, "failed": 0, "skipped": 0})
            counts[case["outcome"]] += 1
    by_version = sorted(kernels, key=lambda k: tuple(int(p) for p in k.split(".")))
    return by_version, sorted(rows.items())


def totals(suites):
    t = {"passed": 0, "failed": 0, "skipped": 0, "seconds": 0.0, "errors": 0}
    for s in suites:
        for k in ("passed", "failed", "skipped"):
            t[k] += s["counts"][k]
        t["seconds"] += s["seconds"]
        t["errors"] += 1 if s["error"] else 0
    return t
