#!/usr/bin/python3
"""Runs the probe in each implementation's sandbox and holds what it saw to the expectations
table (expectations.tsv); prints the matrix, implementations by observables.

  conformance.py --probe PROBE [--expectations TSV] [--json OUT] [--expect-fail KEYS]
                 [--host-facts FILE] [--oracle NAME]
                 [--family nix|spec] [--config C] [--caller UID:GID]
                 [--build-ids UID:GID] --impl 'NAME=COMMAND {probe}' [--impl ...]

--family, --config, --caller and --build-ids apply to the --impl options after them
(defaults: spec, none, the ids of whoever runs this, 30001:30000). {probe} in COMMAND
becomes the probe's path; COMMAND runs with /bin/sh -c and must print the probe's output on
stdout.

What the table's values depend on (capabilities, /dev/kvm, mount flags, ...) comes from
`PROBE --host-facts` run here, or from --host-facts FILE (a VM guest's); the facts are
printed with the verdicts. --oracle NAME: that implementation (a real Nix) is also the
expectation for every other one of its configuration: an observable on which they differ
fails unless the table explains the difference (a row of Nix's family, or `*`).

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


def fill(expected, placeholders):
    """expected with each {name} replaced by its value; an unknown name is an error."""
    def value(match):
        if match.group(1) not in placeholders:
            raise SystemExit("expectations: unknown placeholder {%s}" % match.group(1))
        return str(placeholders[match.group(1)])
    return re.sub(r"\{([a-z_]+)\}", value, expected)


def agrees(expected, actual, placeholders):
    """placeholders: {"caller_uid": ..., "dev_kvm": ...}, what a value's {names} stand for."""
    if expected == "*":
        return True
    expected = fill(expected, placeholders)
    if expected.startswith("~"):
        return re.fullmatch(expected[1:], actual) is not None
    return expected == actual


def judge(rows, values, family, config, placeholders):
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
                results[name] = ("missing", fill(row["expected"], placeholders), "(not printed)",
                                 row)
            continue
        verdict = "agree" if agrees(row["expected"], actual, placeholders) else "disagree"
        results[name] = (verdict, fill(row["expected"], placeholders), actual, row)
    return results


def judge_by_oracle(rows, results, values, oracle_values, oracle_name, family, config):
    """Holds values to what the oracle (a real Nix, same configuration, same run) showed:
    each observable the table does not explain (a row of Nix's family says how Nix differs
    from the spec; an expected `*` says the value is the implementation's own) must be
    equal. A disagreement replaces an "agree" in results."""
    for name in sorted(set(values) | set(oracle_values)):
        mine = expectation(rows, name, family, config)
        nix = expectation(rows, name, "nix", config)
        if mine is None or mine["expected"] == "*" or (nix and nix["family"] == "nix"):
            continue
        actual, shown = values.get(name, "(not printed)"), oracle_values.get(name, "(not printed)")
        if actual != shown and results.get(name, ("agree",))[0] == "agree":
            results[name] = ("differs-from-oracle", "%s (as %s showed)" % (shown, oracle_name),
                             actual, mine)


def read_facts(text):
    """`fact.NAME value` lines (PROBE --host-facts) into {NAME: value}."""
    return {k[len("fact."):]: v for k, v in parse_output(text).items() if k.startswith("fact.")}


def host_facts(probe):
    """The facts of this host, from the probe run here (outside any sandbox)."""
    out = subprocess.run([probe, "--host-facts"], stdout=subprocess.PIPE, check=True)
    return read_facts(out.stdout.decode())


def kvm_usable(kvm, uid, gid):
    """Whether access("/dev/kvm", R_OK|W_OK) succeeds for uid:gid (no supplementary
    groups), from the node's "MODE UID:GID" or "absent": Nix and Lix bind it then."""
    if kvm == "absent":
        return False
    mode, owner = kvm.split()
    mode, (o_uid, o_gid) = int(mode, 8), map(int, owner.split(":"))
    if uid == 0:
        return True
    bits = mode >> 6 if uid == o_uid else mode >> 3 if gid == o_gid else mode
    return bits & 0o6 == 0o6


def placeholders(ids, facts):
    """What the table's {names} stand for, for one implementation run by ids["caller_*"]."""
    values = dict(ids)
    values.update({
        "cap_full": facts["cap_full"],
        "nix_system": facts["nix_system"],
        "cores": facts["cores"],
        "dev_kvm": "kvm " if kvm_usable(facts["kvm"], ids["caller_uid"],
                                          ids["caller_gid"]) else "",
        "dev_ptmx": "ptmx " if facts["host_pts_ptmx"] == "yes" else "",
        "flags_tmp": facts["flags_tmp"],
        "flags_busybox": facts["flags_busybox"],
        # access(W_OK) on the host's busybox: for its owner, and for anyone else.
        "writable_busybox": "no (EROFS)" if facts["flags_busybox"].startswith("ro") else "yes",
        "unwritable_busybox":
            "no (EROFS)" if facts["flags_busybox"].startswith("ro") else "no (EACCES)",
    })
    return values


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
    """A grid, observables by implementations (. agrees, X disagrees with the table, N
    differs from the oracle, ? unlisted or missing, blank not observed), then every
    disagreement with both values."""
    names = sorted({n for i in impls for n in i["results"]})
    width = max(len(n) for n in names) if names else 10
    mark = {"agree": ".", "disagree": "X", "differs-from-oracle": "N", "unlisted": "?",
            "missing": "?"}
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
    p.add_argument("--host-facts", metavar="FILE",
                   help="the facts to judge by (PROBE --host-facts output), e.g. a VM guest's;"
                        " default: run PROBE --host-facts here")
    p.add_argument("--oracle", metavar="NAME", action="append", default=[],
                   help="the implementation (a real Nix) the others of its configuration must"
                        " match wherever the table does not explain a difference (one per"
                        " configuration)")
    impls, state = [], {"family": "spec", "config": "none",
                        "caller": "%d:%d" % (os.getuid(), os.getgid()),
                        "build_ids": "30001:30000", "caller_groups": ""}

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
            groups = [g for g in state["caller_groups"].split(",") if g]
            if not all(g.isdigit() for g in groups):
                parser.error("--caller-groups takes GID,GID...")
            # A rootless caller keeps them (setgroups is denied): its own gid appears as the
            # sandbox's (100), any other as the overflow gid.
            ids["caller_groups"] = " ".join(
                "100" if int(g) == ids["caller_gid"] else "65534" for g in groups)
            impls.append({"name": name, "command": command, "family": state["family"],
                          "config": state["config"], "ids": ids})

    p.add_argument("--family", choices=FAMILIES, action=Setting)
    p.add_argument("--config", choices=CONFIGS, action=Setting)
    p.add_argument("--caller", metavar="UID:GID", action=Setting)
    p.add_argument("--caller-groups", metavar="GID,GID", action=Setting,
                   help="the caller's supplementary groups, for {caller_groups} (default none)")
    p.add_argument("--build-ids", metavar="UID:GID", action=Setting,
                   help="the build user's first ids, for {build_uid} and {build_gid}")
    p.add_argument("--impl", metavar="NAME=COMMAND", action=Impl)
    args = p.parse_args()
    if not impls:
        p.error("give at least one --impl")
    probe = os.path.abspath(args.probe)
    rows = read_table(args.expectations)
    oracles = {}  # configuration -> its oracle
    for name in args.oracle:
        named = [i for i in impls if i["name"] == name]
        if not named or named[0]["config"] in oracles:
            p.error("--oracle %s: names no --impl, or a second one of its configuration" % name)
        oracles[named[0]["config"]] = named[0]
    if args.host_facts:
        with open(args.host_facts) as f:
            facts = read_facts(f.read())
    else:
        facts = host_facts(probe)
    print("conformance: host facts: " + ", ".join("%s=%s" % kv for kv in sorted(facts.items())))

    # The oracles first: the others are compared with what they showed in this very run.
    first = list(oracles.values())
    for impl in first + [i for i in impls if i not in first]:
        impl["exit"], output, impl["stderr"] = run_impl(impl, probe)
        impl["values"] = parse_output(output)
        impl["results"] = judge(rows, impl["values"], impl["family"], impl["config"],
                                placeholders(impl["ids"], facts))
        oracle = oracles.get(impl["config"])
        if oracle is None or oracle is impl:
            continue
        if oracle["exit"]:
            impl["exit"] = impl["exit"] or 1
            impl["stderr"] += "\nnot compared: the oracle %s failed" % oracle["name"]
        else:
            judge_by_oracle(rows, impl["results"], impl["values"], oracle["values"],
                            oracle["name"], impl["family"], impl["config"])
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
