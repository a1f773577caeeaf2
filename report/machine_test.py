#!/usr/bin/python3
"""The machine table's versions: Bazel's Debian package where the binary says no_version,
and the sbx binary's own --version."""
import os
import pathlib
import shutil
import sys
import tempfile
import unittest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import machine  # noqa: E402


def fake(directory, name, line):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\necho '%s'\n" % line)
    os.chmod(path, 0o755)
    return path


class Versions(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)

    def test_a_released_bazel_is_shown_as_it_says(self):
        self.assertEqual(machine.bazel_version(fake(self.dir, "bazel", "bazel 6.5.0")),
                         "bazel 6.5.0")

    def test_no_version_outside_a_package_stays_no_version(self):
        self.assertEqual(machine.bazel_version(fake(self.dir, "bazel", "bazel no_version")),
                         "bazel no_version")

    def test_a_packaged_file_gets_its_package_and_version(self):
        # python3-minimal installs /usr/bin/python3 (the harness needs python3).
        found = machine.dpkg_package_version("/usr/bin/python3")
        self.assertRegex(found, r"^python3-minimal [0-9][^ ]*$")

    def test_sbx_reports_its_own_version(self):
        sbx = fake(self.dir, "sbx", "sbx 1.2.3")
        self.assertTrue(machine.sbx_version(sbx, self.dir).startswith("sbx 1.2.3"))
        self.assertTrue(machine.sbx_version(self.dir + "/none", self.dir).startswith("not built"))


if __name__ == "__main__":
    unittest.main()
