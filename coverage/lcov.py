"""Reads lcov.info files (as `llvm-cov export -format=lcov` writes them) and sums them up:
per-file lines, branches and functions, the lines only one suite reaches, and gcovr's JSON
(for gcovr to write Cobertura XML). One source of numbers for the table, the report and the
ratchet, so they agree."""
import collections


def read(path, keep=lambda name: True):
    """{file: {"lines": {line: count}, "branches": {line: [count or None]},
    "functions": {name: (line, count)}}} for the files `keep` accepts."""
    files = {}
    current = None
    with open(path) as f:
        for raw in f:
            tag, _, value = raw.rstrip("\n").partition(":")
            if tag == "SF":
                current = files.setdefault(value, {"lines": {}, "branches": {}, "functions": {}}) \
                    if keep(value) else None
            elif current is None:
                continue
            elif tag == "DA":
                line, count = value.split(",")[:2]
                current["lines"][int(line)] = max(current["lines"].get(int(line), 0), int(count))
            elif tag == "BRDA":
                line, _, _, taken = value.split(",")
                current["branches"].setdefault(int(line), []).append(
                    None if taken == "-" else int(taken))
            elif tag == "FN":
                line, name = value.split(",", 1)
                current["functions"].setdefault(name, (int(line), 0))
            elif tag == "FNDA":
                count, name = value.split(",", 1)
                line = current["functions"].get(name, (0, 0))[0]
                current["functions"][name] = (line, int(count))
    return files


def summary(data):
    """{"lines": [hit, found], "branches": [hit, found], "functions": [hit, found]}."""
    lines = data["lines"].values()
    branches = [c for counts in data["branches"].values() for c in counts]
    functions = [count for _, count in data["functions"].values()]
    return {"lines": [sum(1 for c in lines if c), len(lines)],
            "branches": [sum(1 for c in branches if c), len(branches)],
            "functions": [sum(1 for c in functions if c), len(functions)]}


def total(summaries):
    out = {"lines": [0, 0], "branches": [0, 0], "functions": [0, 0]}
    for s in summaries:
        for kind in out:
            out[kind][0] += s[kind][0]
            out[kind][1] += s[kind][1]
    return out


def percent(pair):
    hit, found = pair
    return 100.0 * hit / found if found else 100.0


def covered_lines(data):
    return {line for line, count in data["lines"].items() if count}


def only_by(per_suite):
    """{suite: {file: sorted lines that this suite reaches and no other does}}, from
    {suite: read(...)}."""
    reached = collections.defaultdict(collections.Counter)  # file -> line -> suites
    for files in per_suite.values():
        for name, data in files.items():
            reached[name].update(covered_lines(data))
    out = {}
    for suite, files in per_suite.items():
        mine = {}
        for name, data in files.items():
            lines = sorted(l for l in covered_lines(data) if reached[name][l] == 1)
            if lines:
                mine[name] = lines
        out[suite] = mine
    return out


def ranges(lines):
    """[3, 4, 5, 9] -> "3-5, 9"."""
    parts = []
    for line in lines:
        if parts and parts[-1][1] == line - 1:
            parts[-1][1] = line
        else:
            parts.append([line, line])
    return ", ".join(str(a) if a == b else "%d-%d" % (a, b) for a, b in parts)


def gcovr_json(files):
    """gcovr's JSON (format 0.3), which `gcovr --add-tracefile` reads."""
    out = []
    for name in sorted(files):
        data = files[name]
        lines = []
        for line in sorted(data["lines"]):
            lines.append({
                "line_number": line,
                "count": data["lines"][line],
                "branches": [{"count": c or 0, "fallthrough": False, "throw": False}
                             for c in data["branches"].get(line, [])],
                "gcovr/noncode": False,
                "gcovr/excluded": False,
            })
        functions = [{"name": fn, "lineno": line, "execution_count": count}
                     for fn, (line, count) in sorted(data["functions"].items())]
        out.append({"file": name, "lines": lines, "functions": functions})
    return {"gcovr/format_version": "0.3", "files": out}
