#!/usr/bin/env python3
"""Writes a copy of a production source with one planted bug, built only under a define.

The one line holding CORRECT becomes
    #ifdef SBX_PLANTED_BUG
    <the line with CORRECT replaced by BUGGY>  // PLANTED BUG
    #else
    <the line as it was>
    #endif
so the copy compiles to the real code unless the planted target defines SBX_PLANTED_BUG.
Fails the build when CORRECT is not on exactly one line: a planted bug must never quietly
turn into a correct copy when the source changes.

Usage: plant.py SRC OUT CORRECT BUGGY
"""
import sys


def plant(text, correct, buggy):
    lines = text.split("\n")
    hits = [i for i, line in enumerate(lines) if correct in line]
    if len(hits) != 1:
        raise SystemExit("plant.py: %r is on %d lines, not 1; update fuzz/planted/bugs.bzl"
                         % (correct, len(hits)))
    i = hits[0]
    line = lines[i]
    lines[i:i + 1] = ["#ifdef SBX_PLANTED_BUG",
                      line.replace(correct, buggy) + "  // PLANTED BUG",
                      "#else", line, "#endif"]
    return "\n".join(lines)


def main():
    src, out, correct, buggy = sys.argv[1:5]
    with open(src) as f:
        text = f.read()
    with open(out, "w") as f:
        f.write(plant(text, correct, buggy))


if __name__ == "__main__":
    main()
