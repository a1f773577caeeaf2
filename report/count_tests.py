#!/usr/bin/env python3
"""Counts test cases from a `bazel test` log and prints "N passed, N failed, N skipped".

Bazel reports per target; a user wants per test case. For every target the log lists, the
target's test.xml (bazel-testlogs/PKG/NAME/test.xml) gives its cases. A target with no
XML (failed to build, no status) counts as one failed case. Exit status 1 if any failed.
"""
import pathlib
import re
import sys
import xml.etree.ElementTree as ET

STATUS = re.compile(
    r"^(//\S+)\s+(?:\(cached\) )?(PASSED|FAILED|TIMEOUT|FLAKY|NO STATUS|FAILED TO BUILD|"
    r"INCOMPLETE|SKIPPED)\b")


def cases_of(xml_path):
    """Yields 'passed' | 'failed' | 'skipped' for each test case in a JUnit XML file."""
    root = ET.parse(xml_path).getroot()
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            yield "failed"
        elif case.get("result") == "skipped" or case.find("skipped") is not None:
            yield "skipped"
        else:
            yield "passed"


def main(log_path, testlogs="bazel-testlogs"):
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for line in pathlib.Path(log_path).read_text(errors="replace").splitlines():
        m = STATUS.match(line)
        if not m:
            continue
        target, status = m.groups()
        if status == "SKIPPED":  # Bazel skipped the target (e.g. incompatible)
            counts["skipped"] += 1
            continue
        pkg, _, name = target[2:].partition(":")
        xml_path = pathlib.Path(testlogs, pkg, name, "test.xml")
        found = list(cases_of(xml_path)) if xml_path.exists() else []
        if status not in ("PASSED", "FLAKY") and "failed" not in found:
            found.append("failed")  # the target failed outside any case (crash, timeout)
        for outcome in found:
            counts[outcome] += 1
    line = f"{counts['passed']} passed, {counts['failed']} failed"
    if counts["skipped"]:
        line += f", {counts['skipped']} skipped"
    print(line)
    return 1 if counts["failed"] or not sum(counts.values()) else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
