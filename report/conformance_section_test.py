#!/usr/bin/python3 -B
"""The report's conformance section: results read back from the conformance targets' logs
of this run only, and the matrix with agreeing cells green and the others red with both
values."""
import json
import os
import pathlib
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import html_report  # noqa: E402
import suites  # noqa: E402


def impl(name, verdict, actual):
    return {"name": name, "family": "spec", "config": "none", "exit": 0, "stderr": "",
            "results": {"hostname": {"verdict": verdict, "expected": "localhost",
                                     "actual": actual, "rule": "29"}}}


class ConformanceSection(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.testlogs = pathlib.Path(self.dir.name)
        for name, impls in (("good_test", [impl("good", "agree", "localhost")]),
                            ("bad_test", [impl("bad", "disagree", "vm<1>")]),
                            ("stale_test", [impl("stale", "agree", "localhost")])):
            log = self.testlogs / "conformance" / name / "test.log"
            log.parent.mkdir(parents=True)
            log.write_text("header\n" + suites.CONFORMANCE_MARK + json.dumps(impls) + "\n")
        self.log = "\n".join([
            "//conformance:good_test                 PASSED in 1.0s",
            "//conformance:bad_test                  FAILED in 1.0s",
            "//conformance:stale_test                NO STATUS",
            "//sandbox:other_test                    PASSED in 1.0s",
        ])

    def tearDown(self):
        self.dir.cleanup()

    def test_reads_only_targets_that_ran(self):
        names = [i["name"] for i in suites.conformance_results(self.log, str(self.testlogs))]
        self.assertEqual(names, ["good", "bad"])

    def test_matrix_cells(self):
        impls = suites.conformance_results(self.log, str(self.testlogs))
        page = html_report.conformance_section([{"extra": {"conformance": impls}}])
        self.assertIn('id="conformance-matrix"', page)
        self.assertIn('<td class="passed" title="localhost">agree</td>', page)
        self.assertIn('<td class="failed">disagree<br>expected <code>localhost</code><br>got '
                      '<code>vm&lt;1&gt;</code></td>', page)
        self.assertIn("2 implementation(s), 1 disagree", page)

    def test_no_results(self):
        page = html_report.conformance_section([{"extra": {}}])
        self.assertIn("No conformance results", page)


if __name__ == "__main__":
    unittest.main()
