#!/usr/bin/python3
"""count_tests.py on the fixtures: the closing line "N passed, N failed, N skipped" and,
after it, every skipped case under its reason (GoogleTest's "FILE:LINE" left out)."""
import contextlib
import io
import os
import pathlib
import sys
import tempfile
import unittest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import count_tests  # noqa: E402

DATA = HERE / "testdata"


def run(log, testlogs=DATA / "testlogs"):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = count_tests.main(str(log), str(testlogs))
    return status, out.getvalue().splitlines()


class CountTests(unittest.TestCase):
    def test_closing_line_then_skips_by_reason(self):
        status, lines = run(DATA / "logs" / "unit.log")
        self.assertEqual(status, 1)
        self.assertEqual(lines, [
            "6 passed, 3 failed, 1 skipped",
            "skipped, by reason:",
            "  needs 65536 subordinate ids:",
            "    //sandbox:identity_test  Identity.AutoUidRange",
        ])

    def test_nothing_after_the_closing_line_without_skips(self):
        status, lines = run(DATA / "logs" / "vm.log")
        self.assertEqual(len(lines), 1, lines)
        self.assertRegex(lines[0], r"^\d+ passed, \d+ failed$")

    def test_googletest_location_is_dropped_and_a_bare_skip_is_named(self):
        self.assertEqual(count_tests.skip_reason(
            {"message": "integration/cgroup_test.cc:107\nneeds root\nand more"}),
            "needs root and more")
        self.assertEqual(count_tests.skip_reason({"message": ""}), "(no reason given)")

    def test_cases_of_one_reason_from_several_targets_are_listed_together(self):
        with tempfile.TemporaryDirectory() as tmp:
            for target in ("a_test", "b_test"):
                xml = pathlib.Path(tmp, "pkg", target, "test.xml")
                xml.parent.mkdir(parents=True)
                xml.write_text(
                    '<testsuites><testsuite name="S">'
                    '<testcase name="One" classname="S" result="skipped">'
                    '<skipped message="x.cc:1&#x0A;needs root"/></testcase>'
                    '<testcase name="Two" classname="S" result="completed"/>'
                    '</testsuite></testsuites>')
            log = pathlib.Path(tmp, "test.log")
            log.write_text("//pkg:a_test    PASSED in 0.1s\n//pkg:b_test    PASSED in 0.1s\n")
            status, lines = run(log, tmp)
        self.assertEqual(status, 0)
        self.assertEqual(lines, ["2 passed, 0 failed, 2 skipped", "skipped, by reason:",
                                 "  needs root:", "    //pkg:a_test  S.One",
                                 "    //pkg:b_test  S.One"])

    def test_in_ci_a_skip_must_name_a_missing_privilege(self):
        patterns = count_tests.accepted_skip_patterns()
        case = {"outcome": "skipped", "classname": "S", "name": "T"}
        def unexpected(reason):
            return count_tests.unexpected_skips(
                [("//t", "PASSED", [dict(case, message=reason)])], patterns)
        self.assertEqual(unexpected("needs root to mount below /usr"), [])
        self.assertEqual(unexpected("mapping uid 872480768 needs root"), [])
        self.assertEqual(unexpected("needs root, or a range in /etc/subuid and /etc/subgid"), [])
        for reason in ("this process cannot create a user namespace: unshare: EPERM",
                       "no python3 in the sandbox", "starts sandboxes: runs in the VM matrix",
                       "(no reason given)"):
            self.assertEqual(unexpected(reason), [reason])

    def test_in_ci_an_unexpected_skip_fails_the_run(self):
        old = os.environ.get("CI")
        os.environ["CI"] = "true"
        try:
            status, lines = run(DATA / "logs" / "unit.log")
        finally:
            if old is None:
                del os.environ["CI"]
            else:
                os.environ["CI"] = old
        self.assertEqual(status, 1)
        self.assertIn("unexpected skip in CI (not in report/accepted_skips.tsv): "
                      "needs 65536 subordinate ids", lines)


if __name__ == "__main__":
    unittest.main()
