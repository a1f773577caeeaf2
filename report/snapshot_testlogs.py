#!/usr/bin/python3
"""Copies test.xml and test.log of every target a `bazel test` log names, from Bazel's
testlogs directory to DEST/PKG/NAME/, right after the suite ran.

Why: a later Bazel command (another suite, or anyone sharing the output base) may run the
same target again and overwrite its test.xml before the report is written; the copy keeps
this run's results, and makes out/report/logs/ enough to regenerate the report.

Usage: snapshot_testlogs.py LOG TESTLOGS DEST
"""
import os
import pathlib
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import count_tests  # noqa: E402


def snapshot(log_path, testlogs, dest):
    text = pathlib.Path(log_path).read_text(errors="replace")
    copied = 0
    for target, status in count_tests.target_statuses(text):
        if status in count_tests.NOT_RUN:
            continue  # what is on disk is from an earlier run
        pkg, _, name = target[2:].partition(":")
        for file in ("test.xml", "test.log"):
            src = pathlib.Path(testlogs, pkg, name, file)
            if src.is_file():
                out = pathlib.Path(dest, pkg, name, file)
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, out)
                copied += 1
    pathlib.Path(dest).mkdir(parents=True, exist_ok=True)
    return copied


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[-1])
    snapshot(*sys.argv[1:])
