#!/usr/bin/env python3
"""Counts test cases from a `bazel test` log and prints "N passed, N failed, N skipped",
then every skipped case under its reason.

Bazel reports per target; a user wants per test case. For every target the log lists, the
target's test.xml (bazel-testlogs/PKG/NAME/test.xml) gives its cases. A target with no
XML (failed to build, no status) counts as one failed case. Exit status 1 if any failed.

With CI=true in the environment, a skip whose reason no line of accepted_skips.tsv matches
fails the run too: in CI a test may skip only for a missing privilege or kernel feature.

Usage: count_tests.py LOG [TESTLOGS_DIR]. The report (make_report.py) imports
`target_results` so that its counts are these counts.
"""
import os
import pathlib
import re
import sys
import xml.etree.ElementTree as ET

STATUS = re.compile(
    r"^(//\S+)\s+(?:\(cached\) )?(PASSED|FAILED|TIMEOUT|FLAKY|NO STATUS|FAILED TO BUILD|"
    r"INCOMPLETE|SKIPPED)\b")
# Statuses under which the target did not run in this invocation: a test.xml on disk is
# left over from an earlier run and must not be counted.
NOT_RUN = ("NO STATUS", "FAILED TO BUILD", "INCOMPLETE")


def case_records(xml_path):
    """Yields one dict per test case of a JUnit XML file: name, classname, outcome
    ('passed' | 'failed' | 'skipped'), time (seconds) and, unless passed, message and text."""
    root = ET.parse(xml_path).getroot()
    for case in root.iter("testcase"):
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
        skipped = case.find("skipped")
        record = {"name": case.get("name", "?"), "classname": case.get("classname", ""),
                  "time": _seconds(case.get("time")), "message": "", "text": ""}
        if bad is not None:
            record.update(outcome="failed", message=bad.get("message", ""),
                          text=bad.text or "")
        elif case.get("result") == "skipped" or skipped is not None:
            record["outcome"] = "skipped"
            if skipped is not None:
                record.update(message=skipped.get("message", ""), text=skipped.text or "")
        else:
            record["outcome"] = "passed"
        yield record


def cases_of(xml_path):
    """Yields 'passed' | 'failed' | 'skipped' for each test case in a JUnit XML file."""
    for record in case_records(xml_path):
        yield record["outcome"]


def _seconds(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return 0.0


def target_statuses(log_text):
    """[(target, status)] in log order, each target once (its last status line wins)."""
    found = {}
    for line in log_text.splitlines():
        m = STATUS.match(line)
        if m:
            found[m.group(1)] = m.group(2)
    return list(found.items())


def target_results(log_text, testlogs="bazel-testlogs"):
    """[(target, status, [case record])] for every target the log lists."""
    results = []
    for target, status in target_statuses(log_text):
        if status == "SKIPPED":  # Bazel skipped the target (e.g. incompatible)
            results.append((target, status, [{
                "name": target, "classname": "", "time": 0.0, "outcome": "skipped",
                "message": "Bazel skipped the target", "text": ""}]))
            continue
        pkg, _, name = target[2:].partition(":")
        xml_path = pathlib.Path(testlogs, pkg, name, "test.xml")
        found = []
        if status not in NOT_RUN and xml_path.exists():
            found = list(case_records(xml_path))
        if status not in ("PASSED", "FLAKY") and not any(c["outcome"] == "failed" for c in found):
            # The target failed outside any case (crash, timeout, build error).
            found.append({"name": target, "classname": "", "time": 0.0, "outcome": "failed",
                          "message": status, "text": ""})
        results.append((target, status, found))
    return results


def count(results):
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for _, _, cases in results:
        for case in cases:
            counts[case["outcome"]] += 1
    return counts


def skip_reason(case):
    """The reason of a skipped case: GoogleTest's message without its "FILE:LINE" line."""
    lines = [line.strip() for line in case["message"].splitlines() if line.strip()]
    if lines and re.fullmatch(r"\S+:\d+", lines[0]):
        lines = lines[1:]
    return " ".join(lines) or "(no reason given)"


def skip_lines(results):
    """The skipped cases grouped by reason: the reason, then one "TARGET CASE" line each."""
    by_reason = {}
    for target, _, cases in results:
        for case in cases:
            if case["outcome"] == "skipped":
                name = ".".join(part for part in (case["classname"], case["name"]) if part)
                by_reason.setdefault(skip_reason(case), []).append(
                    target if name == target else "%s  %s" % (target, name))
    lines = []
    for reason, names in sorted(by_reason.items()):
        lines.append("  %s:" % reason)
        lines += ["    " + name for name in names]
    return lines


def accepted_skip_patterns(path=pathlib.Path(__file__).resolve().parent / "accepted_skips.tsv"):
    lines = pathlib.Path(path).read_text().splitlines()
    return [re.compile(line.split("\t")[0]) for line in lines if line and not line.startswith("#")]


def unexpected_skips(results, patterns):
    """The skip reasons that no pattern matches whole, sorted."""
    reasons = {skip_reason(case) for _, _, cases in results for case in cases
               if case["outcome"] == "skipped"}
    return sorted(r for r in reasons if not any(p.fullmatch(r) for p in patterns))


def main(log_path, testlogs="bazel-testlogs"):
    text = pathlib.Path(log_path).read_text(errors="replace")
    results = target_results(text, testlogs)
    counts = count(results)
    line = f"{counts['passed']} passed, {counts['failed']} failed"
    if counts["skipped"]:
        line += f", {counts['skipped']} skipped"
    print(line)
    skipped = skip_lines(results)
    if skipped:
        print("skipped, by reason:")
        print("\n".join(skipped))
    unexpected = []
    if os.environ.get("CI") == "true":
        unexpected = unexpected_skips(results, accepted_skip_patterns())
        for reason in unexpected:
            print("unexpected skip in CI (not in report/accepted_skips.tsv): " + reason)
    return 1 if counts["failed"] or unexpected or not sum(counts.values()) else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
