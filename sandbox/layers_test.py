#!/usr/bin/python3
"""Every #include between the library's packages runs down the layers of sandbox/layers.bzl:
a file of package P includes "sandbox/Q/..." only for Q == P or Q in LAYERS[P].

Bazel's visibility already refuses an upward dependency between targets; this catches an
include that reaches a header through some other dependency, and a package that is missing
from the table.

Usage: layers_test.py LAYERS_BZL SOURCE...
"""
import ast
import re
import sys
import unittest

INCLUDE = re.compile(r'^\s*#\s*include\s+"sandbox/([a-z_]+)/', re.M)


def read_layers(path):
    """LAYERS of the .bzl file: the one assignment of that name, a literal dict."""
    for node in ast.parse(open(path).read()).body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets] == ["LAYERS"]:
            return ast.literal_eval(node.value)
    raise ValueError(path + " has no LAYERS")


def package_of(path):
    """'sandbox/start/x.cc' -> 'start'; None for a file outside a layer."""
    parts = path.split("/")
    i = parts.index("sandbox") if "sandbox" in parts else -1
    return parts[i + 1] if 0 <= i < len(parts) - 2 else None


def violations(layers, sources):
    """(file, included package, why) for each include against the order."""
    found = []
    for path, text in sources:
        package = package_of(path)
        if package is None:
            continue
        if package not in layers:
            found.append((path, package, "package missing from LAYERS"))
            continue
        for used in INCLUDE.findall(text):
            if used != package and used not in layers[package]:
                found.append((path, used, "%s may not use %s" % (package, used)))
    return found


class LayersTest(unittest.TestCase):
    def test_includes_run_down_the_layers(self):
        sources = [(p, open(p, errors="replace").read()) for p in SOURCES]
        self.assertGreater(len(sources), 50, "the library's sources were not handed over")
        self.assertEqual(violations(LAYERS, sources), [])

    def test_the_table_has_no_cycle(self):
        # Each package's uses come before it in the table, so no two use each other.
        order = list(LAYERS)
        for package, used in LAYERS.items():
            for u in used:
                self.assertLess(order.index(u), order.index(package), (package, u))

    # The check itself can fail: an upward and a sideways include are caught.
    def test_an_upward_include_is_caught(self):
        layers = {"base": [], "rules": ["base"], "start": ["base", "rules"]}
        sources = [("sandbox/rules/x.cc", '#include "sandbox/start/start_child.h"\n'),
                   ("sandbox/start/y.cc", '#include "sandbox/rules/a.h"\n#include "sandbox/start/b.h"\n'),
                   ("sandbox/other/z.cc", "")]
        self.assertEqual(violations(layers, sources), [
            ("sandbox/rules/x.cc", "start", "rules may not use start"),
            ("sandbox/other/z.cc", "other", "package missing from LAYERS"),
        ])


if __name__ == "__main__":
    LAYERS = read_layers(sys.argv[1])
    SOURCES = sys.argv[2:]
    unittest.main(argv=sys.argv[:1])
