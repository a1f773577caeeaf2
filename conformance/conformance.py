#!/usr/bin/python3
"""Runs the probe in each implementation's sandbox and holds what it saw to the expectations
table (expectations.tsv); prints the matrix, implementations by observables.

  conformance.py --probe PROBE [--expectations TSV] [--json OUT] [--expect-fail KEYS]
                 [--family nix|spec] [--config C] [--caller UID:GID]
                 [--build-ids UID:GID] --impl 'NAME=COMMAND {probe}' [--impl ...]

--family, --config, --caller and --build-ids apply to the --impl options after them
(defaults: spec, none, the ids of whoever runs this, 30001:30000). {probe} in COMMAND becomes the probe's path; COMMAND runs
with /bin/sh -c and must print the probe's output on stdout.

Exit status: 0 when every implementation agrees with the table, 1 when one does not, 2 on
usage errors. With --expect-fail KEY,KEY...: 0 only when every implementation fails on at
least those observables (the check that a wrong adapter is caught).
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = ("none", "user", "range", "rootless")
FAMILIES = ("spec", "nix")
RESULT_MARK = "conformance-results: "


def read_table(path):
    rows = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 5:
                raise SystemExit("%s:%d: expected at least 5 tab-separated fields" % (path, number))
            obs, rule, config, family, expected = fields[:5]
            if config != "*" and config not in CONFIGS:
                raise SystemExit("%s:%d: unknown configuration %r" % (path, number, config))
            if family != "*" and family not in FAMILIES:
                raise SystemExit("%s:%d: unknown family %r" % (path, number, family))
            rows.append({"observable": obs, "rule": rule, "config": config, "family": family,
                         "expected": expected, "why": fields[5] if len(fields) > 5 else ""})
    return rows


def expectation(rows, observable, family, config):
    """The most specific row for this observable: family first, then configuration."""
    best, best_rank = None, -1
    for row in rows:
        if row["observable"] != observable:
            continue
        if row["family"] not in ("*", family) or row["config"] not in ("*", config):
            continue
        rank = 2 * (row["family"] != "*") + (row["config"] != "*")
        if rank > best_rank:
            best, best_rank = row, rank
    return best


def parse_output(text):
    values = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key:
            values[key] = value
    return values


def agrees(expected, actual, ids):
    """ids: {"caller_uid": ..., "build_gid": ...}, the placeholders a value may hold."""
    if expected == "*":
        return True
    for name, value in ids.items():
        expected = expected.replace("{%s}" % name, str(value))
    if expected.startswith("~"):
        return re.fullmatch(expected[1:], actual) is not None
    return expected == actual


def judge(rows, values, family, config, ids):
    """{observable: (verdict, expected, actual, row)}; verdict agree|disagree|unlisted|missing."""
    results = {}
    names = sorted(set(values) | {r["observable"] for r in rows})
    for name in names:
        row = expectation(rows, name, family, config)
        actual = values.get(name)
        if row is None:
            if actual is not None:
                results[name] = ("unlisted", "(no row in the table)", actual, None)
            continue
        if actual is None:
            if row["expected"] != "*":
                results[name] = ("missing", row["expected"], "(not printed)", row)
            continue
        verdict = "agree" if agrees(row["expected"], actual, ids) else "disagree"
        results[name] = (verdict, row["expected"], actual, row)
    return results


def run_impl(impl, probe):
    """Runs one adapter; it inherits an open fd (9) that no sandbox may pass on."""
    command = impl["command"].replace("{probe}", shlex.quote(probe))
    stray = os.open("/dev/null", os.O_RDONLY)
    os.dup2(stray, 9, inheritable=True)
    os.close(stray)
    try:
        proc = subprocess.run(["/bin/sh", "-c", command], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=300, pass_fds=(9,))
    finally:
        os.close(9)
    return proc.returncode, proc.stdout.decode(errors="replace"), \
        proc.stderr.decode(errors="replace")


def print_matrix(impls, out=sys.stdout):
    """A grid, observables by implementations (. agrees, X disagrees, ? unlisted or
    missing, blank not observed), then every disagreement with both values."""
    names = sorted({n for i in impls for n in i["results"]})
    width = max(len(n) for n in names) if names else 10
    mark = {"agree": ".", "disagree": "X", "unlisted": "?", "missing": "?"}
    print("conformance: %d implementation(s) x %d observables" % (len(impls), len(names)),
          file=out)
    for number, impl in enumerate(impls, 1):
        r = impl["results"]
        bad = [n for n in names if n in r and r[n][0] != "agree"]
        status = "ERROR (exit %d)" % impl["exit"] if impl["exit"] else \
            ("PASS" if not bad else "FAIL")
        print("  [%d] %s (family %s, configuration %s): %s, %d agree, %d disagree" % (
            number, impl["name"], impl["family"], impl["config"], status,
            sum(1 for n in r if r[n][0] == "agree"), len(bad)), file=out)
    print("%-*s  %s" % (width, "", " ".join("%-3d" % n for n in range(1, len(impls) + 1))),
          file=out)
    for name in names:
        cells = [mark[i["results"][name][0]] if name in i["results"] else " " for i in impls]
        print("%-*s  %s" % (width, name, " ".join("%-3s" % c for c in cells)), file=out)
    print(file=out)
    for impl in impls:
        for name in names:
            if name in impl["results"] and impl["results"][name][0] != "agree":
                verdict, expected, actual, row = impl["results"][name]
                print("%s: %s %s: expected %s, got %s%s" % (
                    impl["name"], verdict.upper(), name, expected, actual,
                    " (spec %s)" % row["rule"] if row else ""), file=out)
        if impl["exit"]:
            print("%s: the command exited %d; its stderr:\n%s" % (
                impl["name"], impl["exit"], impl["stderr"].rstrip()), file=out)


def summary(impls):
    """What the report shows: per implementation, every observable's verdict and values."""
    return [{"name": i["name"], "family": i["family"], "config": i["config"],
             "exit": i["exit"], "stderr": i["stderr"][-2000:],
             "results": {n: {"verdict": v[0], "expected": v[1], "actual": v[2],
                             "rule": v[3]["rule"] if v[3] else ""}
                         for n, v in i["results"].items()}}
            for i in impls]


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--probe", required=True)
    p.add_argument("--expectations", default=os.path.join(HERE, "expectations.tsv"))
    p.add_argument("--json", help="write the results here, for the report")
    p.add_argument("--expect-fail", default="", help="comma-separated observables")
    impls, state = [], {"family": "spec", "config": "none",
                        "caller": "%d:%d" % (os.getuid(), os.getgid()),
                        "build_ids": "30001:30000"}

    class Setting(argparse.Action):
        def __call__(self, parser, ns, value, option):
            state[self.dest] = value

    class Impl(argparse.Action):
        def __call__(self, parser, ns, value, option):
            name, sep, command = value.partition("=")
            if not sep or not name or not command:
                parser.error("--impl takes NAME=COMMAND")
            ids = {}
            for prefix, key in (("caller", "caller"), ("build", "build_ids")):
                uid, _, gid = state[key].partition(":")
                if not uid.isdigit() or not (gid or uid).isdigit():
                    parser.error("--%s takes UID:GID" % key.replace("_", "-"))
                ids[prefix + "_uid"], ids[prefix + "_gid"] = int(uid), int(gid or uid)
            impls.append({"name": name, "command": command, "family": state["family"],
                          "config": state["config"], "ids": ids})

    p.add_argument("--family", choices=FAMILIES, action=Setting)
    p.add_argument("--config", choices=CONFIGS, action=Setting)
    p.add_argument("--caller", metavar="UID:GID", action=Setting)
    p.add_argument("--build-ids", metavar="UID:GID", action=Setting,
                   help="the build user's first ids, for {build_uid} and {build_gid}")
    p.add_argument("--impl", metavar="NAME=COMMAND", action=Impl)
    args = p.parse_args()
    if not impls:
        p.error("give at least one --impl")
    probe = os.path.abspath(args.probe)
    rows = read_table(args.expectations)

    for impl in impls:
        impl["exit"], output, impl["stderr"] = run_impl(impl, probe)
        impl["results"] = judge(rows, parse_output(output), impl["family"], impl["config"],
                                impl["ids"])
    print_matrix(impls)

    # One line the report (report/suites.py) reads back from a test's log.
    print(RESULT_MARK + json.dumps(summary(impls), sort_keys=True))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary(impls), f, indent=1)

    if args.expect_fail:
        wanted = [k for k in args.expect_fail.split(",") if k]
        ok = True
        for impl in impls:
            caught = [k for k in wanted
                      if impl["results"].get(k, ("agree",))[0] != "agree"]
            missed = sorted(set(wanted) - set(caught))
            if missed:
                ok = False
                print("%s: NOT CAUGHT: agreed on %s, which it was expected to get wrong" % (
                    impl["name"], ", ".join(missed)))
            else:
                print("%s: caught on all %d observables it gets wrong" % (impl["name"],
                                                                         len(wanted)))
        return 0 if ok else 1
    failed = [i for i in impls if i["exit"] or
              any(v[0] != "agree" for v in i["results"].values())]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
