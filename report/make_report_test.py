#!/usr/bin/python3
"""Checks the report generator on the fixtures in report/testdata/: counts per suite (and
that they are count_tests.py's counts), failure messages, stale XMLs left out, junit.xml
well formed with consistent counts, the HTML summary table, plots copied."""
import contextlib
import html.parser
import io
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import count_tests  # noqa: E402

DATA = HERE / "testdata"
# passed, failed, skipped per suite, worked out by hand from the fixtures.
EXPECTED = {
    "unit": (6, 3, 1),   # 3+2+1 passed; passwd case, regression target, NO STATUS target
    "host": (6, 0, 1),   # integration/stale_test is on disk but not in the log
    "vm": (3, 0, 0),     # plus a suite error: bazel failed outside any test
    "rootless": (0, 0, 0),
    "fuzz": (1, 1, 1),
    "bench": (7, 2, 2),  # 4 families, 1 budget, 2 ratios ok; 1 budget missed, 1 regression;
                         # 1 budget not measured, 1 ratio not compared
}
RESULTS = {"unit": "failed", "host": "passed", "vm": "failed", "rootless": "not available",
           "fuzz": "failed", "bench": "failed"}


def make_report(out, *extra, suites=DATA / "suites.tsv"):
    return subprocess.run(
        [sys.executable, str(HERE / "make_report.py"), "--suites", str(suites),
         "--fuzz-summary", str(DATA / "fuzz/summary.json"), "--bench-dir", str(DATA / "bench"),
         "--machine", str(DATA / "machine.json"), "--generated", "fixture", *extra]
        + (["--out", str(out)] if out else []),
        capture_output=True, text=True)


def bench_line(bench_dir, log, status, command):
    """make_report.py --line bench, for a bench suite that ran `command`, wrote `log` to
    bench_dir and exited `status`."""
    pathlib.Path(bench_dir, "bench.log").write_text(log)
    table = pathlib.Path(bench_dir, "suites.tsv")
    table.write_text("bench\tbenchmarks\tbench\tran\t%d\t1\t0\tbench.log\t\t%s\t\n"
                     % (status, command))
    return subprocess.run(
        [sys.executable, str(HERE / "make_report.py"), "--suites", str(table),
         "--bench-dir", bench_dir, "--line", "bench"], capture_output=True, text=True)


class SummaryRows(html.parser.HTMLParser):
    """{data-suite: [cell texts]} of the table with id="summary"."""

    def __init__(self):
        super().__init__()
        self.rows, self.in_table, self.row, self.cell = {}, False, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == "summary":
            self.in_table = True
        elif self.in_table and tag == "tr" and "data-suite" in attrs:
            self.row = self.rows.setdefault(attrs["data-suite"], [])
        elif self.row is not None and tag == "td":
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        elif tag == "tr":
            self.row = None
        elif tag == "table":
            self.in_table = False

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


class MakeReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR"))
        cls.out = pathlib.Path(cls.tmp.name, "report")
        cls.proc = make_report(cls.out)
        cls.html = (cls.out / "index.html").read_text()
        cls.junit = ET.parse(cls.out / "junit.xml").getroot()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_exit_status_says_a_suite_failed(self):
        self.assertEqual(self.proc.returncode, 1, self.proc.stderr)

    def test_summary_table_has_the_counts_of_each_suite(self):
        parser = SummaryRows()
        parser.feed(self.html)
        for name, (passed, failed, skipped) in EXPECTED.items():
            cells = parser.rows.get(name)
            self.assertIsNotNone(cells, "no summary row for " + name)
            self.assertTrue(cells[1].startswith(RESULTS[name]), (name, cells))
            self.assertEqual(cells[2:5], [str(passed), str(failed), str(skipped)], name)
        totals = [sum(v[i] for v in EXPECTED.values()) for i in range(3)]
        self.assertEqual(parser.rows["total"][2:5], [str(n) for n in totals])
        self.assertEqual(parser.rows["total"][1], "failed")

    def test_bazel_suites_count_as_count_tests_does(self):
        for name in ("unit", "host", "vm"):
            log = DATA / "logs" / (name + ".log")
            own = io.StringIO()
            with contextlib.redirect_stdout(own):
                count_tests.main(str(log), str(DATA / "testlogs"))
            line = make_report(None, "--line", name).stdout.strip()
            closing = own.getvalue().splitlines()[0]  # the skips, by reason, follow it
            self.assertTrue(line.split(", ", 1)[1].startswith(closing),
                            (name, line, own.getvalue()))
            p, f, s = EXPECTED[name]
            self.assertTrue(own.getvalue().startswith("%d passed, %d failed" % (p, f)))

    def test_junit_counts_match_and_add_up(self):
        suites = {s.get("name"): s for s in self.junit.iter("testsuite")}
        self.assertEqual(set(suites), set(EXPECTED))
        for name, (passed, failed, skipped) in EXPECTED.items():
            el = suites[name]
            cases = el.findall("testcase")
            n_fail = sum(1 for c in cases if c.find("failure") is not None)
            n_err = sum(1 for c in cases if c.find("error") is not None)
            n_skip = sum(1 for c in cases if c.find("skipped") is not None)
            self.assertEqual((n_fail, n_skip), (failed, skipped), name)
            self.assertEqual(len(cases) - n_fail - n_err - n_skip, passed, name)
            self.assertEqual(el.get("tests"), str(len(cases)), name)
            self.assertEqual(el.get("failures"), str(failed), name)
            self.assertEqual(el.get("skipped"), str(skipped), name)
            self.assertEqual(el.get("errors"), "1" if name == "vm" else "0", name)
        for attr in ("tests", "failures", "errors", "skipped"):
            self.assertEqual(int(self.junit.get(attr)),
                             sum(int(s.get(attr)) for s in suites.values()), attr)

    def test_failure_messages_reach_both_outputs(self):
        junit_text = (self.out / "junit.xml").read_text()
        for needle in ("kExpectedNixbld",                      # a gtest failure
                       "crashed pid_line_fuzzer",              # from the target's test.log
                       "Compiling sandbox/sbx_cli_test.cc failed",  # NO STATUS: build error
                       "Linking vm/extra_test failed",         # suite error
                       "REGRESSION paired.lix_over_floor: base 1.8",  # bench regression
                       "MISSED sbx_run_over_bwrap = 1.2",      # a missed budget
                       "out/fuzz/id_map/crashes/"):            # fuzz crash
            self.assertIn(needle, self.html)
            self.assertIn(needle, junit_text)
        self.assertNotIn("PAGER", self.html)  # Bazel's test.log header is left out

    def test_stale_results_are_left_out(self):
        # sbx_cli_test's XML on disk predates its NO STATUS; stale_test is not in any log.
        for text in (self.html, (self.out / "junit.xml").read_text()):
            self.assertNotIn("a stale failure", text)
            self.assertNotIn("SbxCli", text)

    def test_fuzz_and_bench_sections(self):
        self.assertIn("19813", self.html)          # id_map's execs/s
        self.assertIn("301 → 320 → 333", self.html)  # id_map's coverage
        self.assertIn("not built with libFuzzer", self.html)
        self.assertIn("<th>lix/floor</th>", self.html)  # the benchmark markdown table
        for svg in ("flags.svg", "parent_rss.svg"):
            self.assertTrue((self.out / "bench" / svg).is_file(), svg)
            self.assertIn('src="bench/%s"' % svg, self.html)

    def test_not_available_is_said_not_passed(self):
        self.assertIn("rootless/run_all.sh does not exist", self.html)
        self.assertIn("not available: rootless", self.html)

    def test_no_external_resources(self):
        for needle in ("http://", "https://", "<script", "<link"):
            self.assertNotIn(needle, self.html)

    def test_summaries_older_than_the_suite_are_ignored(self):
        # The same table, but the fuzz suite "started" after summary.json was written.
        rows = (DATA / "suites.tsv").read_text().splitlines()
        later = str(int(time.time()) + 3600)
        fixed = []
        for row in rows:
            f = row.split("\t")
            if f[0] == "fuzz":
                f[6] = later
            fixed.append("\t".join(f))
        with tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR")) as d:
            table = pathlib.Path(d, "suites.tsv")
            table.write_text("\n".join(fixed).replace("logs/", str(DATA / "logs") + "/")
                             .replace("\ttestlogs\t", "\t%s\t" % (DATA / "testlogs")))
            line = make_report(None, "--line", "fuzz", suites=table).stdout
        self.assertIn("0 passed, 0 failed", line)
        self.assertIn("without a failing test case", line)

    def test_bazel_finding_no_test_target_is_not_available_not_failed(self):
        with tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR")) as d:
            log = pathlib.Path(d, "empty.log")
            log.write_text("ERROR: No test targets were found, yet testing was requested\n")
            table = pathlib.Path(d, "suites.tsv")
            table.write_text("host\tintegration, host\tbazel\tran\t4\t1\t0\tempty.log\t%s"
                             "\tbazel test\t\n" % d)
            proc = make_report(None, "--line", "host", suites=table)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("NOT AVAILABLE", proc.stdout)
        self.assertIn("no test targets matched", proc.stdout)

    def test_a_benchmark_family_without_results_fails(self):
        with tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR")) as d:
            proc = bench_line(d, "bench: running flags (3 repetitions, min time 0.05s)\n"
                              "bench/run_all.sh: line 9: killed\n",
                              137, "bench/run_all.sh --quick --base HEAD")
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertTrue(proc.stdout.startswith("FAILED, 0 passed, 1 failed"), proc.stdout)


    def test_benchmarks_without_a_base_pass_not_judged(self):
        with tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR")) as d:
            pathlib.Path(d, "flags.json").write_text('{"benchmarks": []}')
            proc = bench_line(
                d, "bench: running flags (3 repetitions, min time 0.05s)\n"
                "budget: fast_over_floor = 1.05, at most 1.5 (why): ok\n"
                "bench: no base revision: not judged (--base REF to compare against one)\n",
                0, "bench/run_all.sh --quick")
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertTrue(proc.stdout.startswith(
            "PASSED, 2 passed, 0 failed, 1 skipped (no base revision: not judged)"), proc.stdout)

class KernelMatrixTest(unittest.TestCase):
    def test_vm_variants_are_tabled_by_test_and_kernel(self):
        import html_report
        import suites

        def case(group, outcome):
            return {"group": group, "outcome": outcome}
        vm = {"kind": "bazel", "cases": [
            case("//integration:cgroup_test_vm_5.10", "passed"),
            case("//integration:cgroup_test_vm_5.10", "skipped"),
            case("//integration:cgroup_test_vm_6.12", "failed"),
            case("//integration:cgroup_test_vm_6.1", "passed"),
            case("//vm:guest_env_root_test_6.1", "passed"),
            case("//vm:failure_surfaces_test", "passed"),  # not a kernel variant
        ]}
        kernels, rows = suites.kernel_matrix([vm, {"kind": "fuzz", "cases": []}])
        self.assertEqual(kernels, ["5.10", "6.1", "6.12"])
        self.assertEqual([test for test, _ in rows], ["cgroup_test_vm", "guest_env_root_test"])
        self.assertEqual(rows[0][1]["5.10"], {"passed": 1, "failed": 0, "skipped": 1})
        page = html_report.kernel_section([vm])
        self.assertIn("<th>Linux 5.10</th><th>Linux 6.1</th><th>Linux 6.12</th>", page)
        self.assertIn('<td class="failed">1 failed of 1</td>', page)
        self.assertIn('<td class="na">not run</td>', page)


if __name__ == "__main__":
    unittest.main(verbosity=2)
