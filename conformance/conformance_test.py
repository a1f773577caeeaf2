#!/usr/bin/python3 -B
"""conformance.py's judging, on a small table and fake adapters (printf): the most specific
row wins, patterns and caller ids, unlisted and missing observables, the stray fd, exit
status, and --expect-fail."""
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import conformance  # noqa: E402

TABLE = "\n".join([
    "# comment",
    "uid\t19\t*\t*\t1000",
    "uid\t19\trange\t*\t0",
    "uid\t19\t*\tnix\t1001\tfamily first",
    "uid_map\t22\t*\t*\t1000 {caller_uid} 1",
    "cores\t29\t*\t*\t~[0-9]+",
    "cgroup\t28\t*\t*\t*\tnot compared",
    "fds\t29\t*\t*\t0 1 2",
    "dev\t29\t*\t*\tfull {dev_kvm}null",
    "caps\t29\t*\t*\t{cap_full}",
    "mount\t29\t*\t*\t~ro.*",
    "mount\t29\t*\tnix\t{flags_tmp}\tNix binds read-write",
    "env.X\t29\t*\t*\t*\tthe implementation's own",
]) + "\n"

FACTS = "\n".join([
    "fact.cap_full 000001ffffffffff", "fact.nix_system x86_64-linux", "fact.cores 2",
    "fact.host_pts_ptmx yes", "fact.kvm 0660 0:108", "fact.flags_tmp rw,nosuid,nodev",
"fact.flags_busybox rw",
]) + "\n"


class Judge(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.table = os.path.join(self.dir.name, "table.tsv")
        with open(self.table, "w") as f:
            f.write(TABLE)
        self.rows = conformance.read_table(self.table)
        self.facts_file = os.path.join(self.dir.name, "facts")
        with open(self.facts_file, "w") as f:
            f.write(FACTS)
        self.facts = conformance.read_facts(FACTS)

    def tearDown(self):
        self.dir.cleanup()

    def verdicts(self, values, family="spec", config="none", caller=(0, 0)):
        ids = {"caller_uid": caller[0], "caller_gid": caller[1], "build_uid": 30001,
               "build_gid": 30000, "caller_groups": ""}
        return {k: v[0] for k, v in
                conformance.judge(self.rows, values, family, config,
                                  conformance.placeholders(ids, self.facts)).items()}

    def test_host_facts_fill_the_table(self):
        # /dev/kvm 0660 root:108: root and group 108 may use it, others not.
        self.assertEqual(self.verdicts({"dev": "full kvm null"})["dev"], "agree")
        self.assertEqual(self.verdicts({"dev": "full kvm null"}, caller=(5, 108))["dev"],
                         "agree")
        self.assertEqual(self.verdicts({"dev": "full null"}, caller=(5, 5))["dev"], "agree")
        self.assertEqual(self.verdicts({"dev": "full null"})["dev"], "disagree")
        self.assertEqual(self.verdicts({"caps": "000001ffffffffff"})["caps"], "agree")
        self.assertEqual(self.verdicts({"caps": "000000ffffffffff"})["caps"], "disagree")
        self.assertEqual(self.verdicts({"mount": "rw,nosuid,nodev"}, family="nix")["mount"],
                         "agree")
        self.assertEqual(self.verdicts({"mount": "rw"}, family="nix")["mount"], "disagree")
        with self.assertRaises(SystemExit):
            conformance.agrees("{no_such_fact}", "x", {})

    def test_oracle_judges_what_the_table_does_not_explain(self):
        nix = {"uid": "1000", "mount": "rw", "env.X": "a", "fds": "0 1 2", "cores": "2"}
        ids = {"caller_uid": 0, "caller_gid": 0, "build_uid": 30001, "build_gid": 30000,
               "caller_groups": ""}
        ph = conformance.placeholders(ids, self.facts)
        # cores: the table allows any number, the oracle showed 2 on this host.
        for cores, verdict in (("2", "agree"), ("3", "differs-from-oracle")):
            mine = {"uid": "1000", "mount": "ro", "env.X": "b", "fds": "0 1 2", "cores": cores}
            results = conformance.judge(self.rows, mine, "spec", "none", ph)
            conformance.judge_by_oracle(self.rows, results, mine, nix, "nix", "spec", "none")
            # mount: a row of Nix's family explains it; env.X: the implementation's own.
            self.assertEqual(results["mount"][0], "agree")
            self.assertEqual(results["env.X"][0], "agree")
            self.assertEqual(results["cores"][0], verdict)

    def test_most_specific_row_wins(self):
        self.assertEqual(self.verdicts({"uid": "1000"})["uid"], "agree")
        self.assertEqual(self.verdicts({"uid": "0"}, config="range")["uid"], "agree")
        self.assertEqual(self.verdicts({"uid": "1000"}, family="nix")["uid"], "disagree")
        self.assertEqual(self.verdicts({"uid": "1001"}, family="nix", config="range")["uid"],
                         "agree")

    def test_patterns_placeholders_and_stars(self):
        v = self.verdicts({"uid_map": "1000 65534 1", "cores": "12", "cgroup": "0::/x"},
                          caller=(65534, 65534))
        self.assertEqual(v["uid_map"], "agree")
        self.assertEqual(v["cores"], "agree")
        self.assertEqual(v["cgroup"], "agree")
        self.assertEqual(self.verdicts({"cores": "12a"})["cores"], "disagree")
        self.assertEqual(self.verdicts({"uid_map": "1000 0 1"}, caller=(5, 5))["uid_map"],
                         "disagree")

    def test_unlisted_and_missing_fail(self):
        v = self.verdicts({"env.LEAK": "1"})
        self.assertEqual(v["env.LEAK"], "unlisted")
        self.assertEqual(v["uid"], "missing")
        self.assertNotIn("cgroup", v)  # "*" may be absent

    def run_cli(self, *args):
        return subprocess.run(
            [sys.executable, "-B", os.path.join(HERE, "conformance.py"), "--probe", "/bin/true",
             "--expectations", self.table, "--host-facts", self.facts_file, *args],
            capture_output=True, text=True)

    def test_exit_status_and_stray_fd(self):
        good = "printf 'uid 1000\\nuid_map 1000 0 1\\ncores 2\\nfds 0 1 2\\n" \
            "dev full kvm null\\ncaps 000001ffffffffff\\nmount ro\\n'"
        self.assertEqual(self.run_cli("--caller", "0:0", "--impl", "good=" + good).returncode,
                         0)
        leaky = "ls /proc/self/fd | tr '\\n' ' ' >&2; printf 'uid 1000\\nuid_map 1000 0 1\\n" \
            "cores 2\\nfds 0 1 2 9\\ndev full kvm null\\ncaps 000001ffffffffff\\nmount ro\\n'; " \
            "test -e /proc/self/fd/9"
        p = self.run_cli("--caller", "0:0", "--impl", "leaky=" + leaky)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("leaky: DISAGREE fds: expected 0 1 2, got 0 1 2 9", p.stdout)
        self.assertEqual(self.run_cli("--impl", "broken=exit 3").returncode, 1)

    def test_expect_fail(self):
        wrong = "printf 'uid 0\\nuid_map 1000 0 1\\ncores 2\\nfds 0 1 2\\n" \
            "dev full kvm null\\ncaps 000001ffffffffff\\nmount ro\\n'"
        self.assertEqual(self.run_cli("--caller", "0:0", "--expect-fail", "uid",
                                      "--impl", "wrong=" + wrong).returncode, 0)
        p = self.run_cli("--caller", "0:0", "--expect-fail", "uid,fds", "--impl",
                         "wrong=" + wrong)
        self.assertEqual(p.returncode, 1)
        self.assertIn("NOT CAUGHT: agreed on fds", p.stdout)


if __name__ == "__main__":
    unittest.main()
