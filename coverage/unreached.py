#!/usr/bin/python3
"""Lists what no suite reaches, from the union's lcov.info: each unreached function
(demangled, with its line) and, per file, the lines of branches never taken either way.
docs/testing.md's Coverage section gives each a verdict.

  unreached.py [out/coverage/lcov.info]
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lcov  # noqa: E402


def demangle(names):
    out = subprocess.run(["llvm-cxxfilt-14"], input="\n".join(names), capture_output=True,
                         text=True, check=True).stdout.split("\n")
    return dict(zip(names, out))


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "out/coverage/lcov.info"
    files = lcov.read(path, lambda n: n.startswith("sandbox/"))
    names = [fn for data in files.values() for fn in data["functions"]]
    readable = demangle(names) if names else {}
    for name in sorted(files):
        data = files[name]
        for fn, (line, count) in sorted(data["functions"].items(), key=lambda x: x[1][0]):
            if not count:
                print("function\t%s:%d\t%s" % (name, line, readable.get(fn, fn)))
        sides = [line for line, counts in sorted(data["branches"].items())
                 if any(not c for c in counts)]
        if sides:
            print("branches\t%s\t%s" % (name, lcov.ranges(sides)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
