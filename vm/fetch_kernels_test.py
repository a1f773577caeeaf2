#!/usr/bin/python3
"""vm/fetch_kernels.py without the network: kernels.bzl reads as the table Bazel sees, and the
newest package of each pattern is chosen by version numbers, not by text order."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fetch_kernels  # noqa: E402


class FetchKernelsTest(unittest.TestCase):
    def test_table_has_the_matrix(self):
        table = fetch_kernels.read_table()
        self.assertEqual(table["KERNEL_CACHE"], "/var/cache/sbx-kernels")
        self.assertIn(table["DEFAULT_KERNEL"], table["GUEST_KERNELS"])
        for name, kernel in table["GUEST_KERNELS"].items():
            self.assertTrue(kernel["package"].startswith("linux-image-" + name + "."), name)
            self.assertTrue(kernel["suites"], name)

    def test_newest_is_by_version_and_flavour_exact(self):
        names = ["linux-image-5.10.0-9-cloud-amd64", "linux-image-5.10.0-46-cloud-amd64",
                 "linux-image-5.10.0-46-amd64", "linux-image-5.10.0-47-rt-amd64",
                 "linux-image-5.10.0-48-cloud-amd64-dbg", "linux-image-5.10.0-30-cloud-amd64"]
        self.assertEqual(
            fetch_kernels.newest_matching(names, "linux-image-5.10.0-*-cloud-amd64"),
            "linux-image-5.10.0-46-cloud-amd64")
        names = ["linux-image-6.12.95+deb12-cloud-amd64", "linux-image-6.12.117+deb12-cloud-amd64",
                 "linux-image-6.12.90+deb12.1-cloud-amd64"]
        self.assertEqual(
            fetch_kernels.newest_matching(names, "linux-image-6.12.*+deb12*-cloud-amd64"),
            "linux-image-6.12.117+deb12-cloud-amd64")
        names.append("linux-image-6.12.118+deb12.1-cloud-amd64")  # a rebuild's suffix
        self.assertEqual(
            fetch_kernels.newest_matching(names, "linux-image-6.12.*+deb12*-cloud-amd64"),
            "linux-image-6.12.118+deb12.1-cloud-amd64")
        self.assertIsNone(fetch_kernels.newest_matching(names, "linux-image-6.1.0-*-cloud-amd64"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
