#!/usr/bin/python3
"""The coverage numbers (lcov.py), the ratchet (ratchet.py) and the VM runner's return of
the guest's profiles (vm/run_vm.py), on small fixtures."""
import base64
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import unittest
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "vm"))
import lcov  # noqa: E402
import ratchet  # noqa: E402
import run_vm  # noqa: E402

IN_SCOPE = lambda name: name.startswith("sandbox/")  # noqa: E731


def fixture(name):
    return lcov.read(os.path.join(HERE, "testdata", name), IN_SCOPE)


class LcovTest(unittest.TestCase):
    def test_summary_counts_lines_branches_functions(self):
        a = fixture("a.lcov.info")
        self.assertEqual(list(a), ["sandbox/x.cc"])
        self.assertEqual(lcov.summary(a["sandbox/x.cc"]),
                         {"lines": [2, 4], "branches": [1, 4], "functions": [1, 2]})

    def test_only_by_names_the_lines_one_suite_alone_reaches(self):
        only = lcov.only_by({"unit": fixture("a.lcov.info"), "vm": fixture("b.lcov.info")})
        self.assertEqual(only, {"unit": {}, "vm": {"sandbox/x.cc": [5]}})

    def test_ranges(self):
        self.assertEqual(lcov.ranges([3, 4, 5, 9]), "3-5, 9")

    def test_gcovr_json_is_what_gcovr_reads(self):
        out = lcov.gcovr_json(fixture("b.lcov.info"))
        self.assertEqual(out["gcovr/format_version"], "0.3")
        line5 = [l for l in out["files"][0]["lines"] if l["line_number"] == 5][0]
        self.assertEqual([b["count"] for b in line5["branches"]], [1, 0])

    def test_gcovr_writes_cobertura_from_it(self):
        with tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR")) as tmp:
            src = os.path.join(tmp, "c.json")
            with open(src, "w") as f:
                json.dump(lcov.gcovr_json(fixture("b.lcov.info")), f)
            xml = os.path.join(tmp, "cobertura.xml")
            subprocess.run(["gcovr", "--root", tmp, "--add-tracefile", src, "--cobertura", xml],
                           check=True, capture_output=True)
            text = open(xml).read()
            self.assertIn('filename="sandbox/x.cc"', text)
            self.assertIn('line-rate="0.75"', text)


def summary_of(lines, branches):
    return {"union": {"files": {"sandbox/x.cc": {"lines": lines, "branches": branches}},
                      "total": {"lines": lines, "branches": branches}}}


class RatchetTest(unittest.TestCase):
    FLOOR = {"sandbox/x.cc": {"lines": 75.0, "branches": 50.0},
             ratchet.TOTAL: {"lines": 75.0, "branches": 50.0}}

    def test_holds_at_the_floor_and_within_the_margin(self):
        now = ratchet.reached(summary_of([149, 200], [50, 100]))  # 74.5%: within 1 point
        self.assertEqual(ratchet.check(self.FLOOR, now, 1.0), [])

    def test_a_loss_names_the_file_and_the_kind(self):
        now = ratchet.reached(summary_of([150, 200], [40, 100]))
        lost = ratchet.check(self.FLOOR, now, 1.0)
        self.assertEqual(len(lost), 2)  # the file and the total
        self.assertTrue(lost[0].startswith("sandbox/x.cc: branches 50.0% -> 40.0%"), lost[0])

    def test_the_floor_only_goes_up(self):
        now = ratchet.reached(summary_of([100, 200], [90, 100]))
        raised = ratchet.raised(self.FLOOR, now)
        self.assertEqual(raised["sandbox/x.cc"], {"lines": 75.0, "branches": 90.0})

    def test_the_committed_floor_reads(self):
        floor = ratchet.read_floor(os.path.join(HERE, "floor.tsv"))
        self.assertIn(ratchet.TOTAL, floor)
        self.assertTrue(all(name.startswith("sandbox/") for name in floor if name != ratchet.TOTAL))


class VmProfilesTest(unittest.TestCase):
    def test_the_guests_profiles_come_back(self):
        data = io.BytesIO()
        with tarfile.open(fileobj=data, mode="w:gz") as tar:
            for name, body in (("./1-2_0.profraw", b"one"), ("./notes.txt", b"x")):
                info = tarfile.TarInfo(name)
                info.size = len(body)
                tar.addfile(info, io.BytesIO(body))
        encoded = base64.b64encode(data.getvalue()).decode()
        console = run_vm._Console("n0nce", "tcg", 0)
        with mock.patch("builtins.print"):
            for line in ["SBX-n0nce-PROFILES-BEGIN", encoded[:40], encoded[40:],
                         "SBX-n0nce-PROFILES-END", "SBX-n0nce-EXIT 0"]:
                console.line(line)
        self.assertEqual(console.exit_status, 0)
        with tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR")) as tmp, \
                mock.patch("builtins.print"):
            run_vm.save_profiles(console.profiles, tmp)
            [into] = os.listdir(tmp)
            self.assertEqual(os.listdir(os.path.join(tmp, into)), ["1-2_0.profraw"])

    def test_the_guest_writes_profiles_only_in_coverage_runs(self):
        args = mock.Mock(user="root", kernel_name=None, binary="/b", test_args=[])
        with mock.patch.dict(os.environ, {"LLVM_PROFILE_FILE": "/host/dir/%c%p-%m.profraw"}):
            script = run_vm._test_script(args)
        self.assertIn("export LLVM_PROFILE_FILE=/tmp/sbx-out/profiles/%c%p-%m.profraw", script)
        with mock.patch.dict(os.environ, {}, clear=False):
            os.environ.pop("LLVM_PROFILE_FILE", None)
            self.assertNotIn("profiles", run_vm._test_script(args))


if __name__ == "__main__":
    unittest.main()
