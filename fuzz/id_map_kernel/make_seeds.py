#!/usr/bin/env python3
"""Writes fuzz/id_map_kernel/corpus/: every id_map seed as a uid_map write by root, a few as
gid_map writes and as writes by the unprivileged owner, and whole sequences of writes to
uid_map, gid_map and setgroups by each writer (input format: scenario.h)."""
import os
import pathlib

here = pathlib.Path(__file__).resolve().parent
id_map_seeds = here.parent / "id_map" / "corpus"
out = here / "corpus"
out.mkdir(exist_ok=True)
for old in out.iterdir():
    old.unlink()

SEP = b"\n--"


def seed(name, writer, ids, *steps):
    (out / name).write_bytes(writer + ids + SEP.join(f + b for f, b in steps))


for path in sorted(id_map_seeds.iterdir()):
    text = path.read_bytes()
    seed("root_uid_" + path.name, b"r", b"0", (b"u", text))
for name in ["single_root", "identity_full", "extents_6_sorted_output", "overlap_inside",
             "lix_build_user", "page_4095", "nul_truncates"]:
    text = (id_map_seeds / name).read_bytes()
    seed("root_gid_" + name, b"r", b"0", (b"g", text))
    seed("owner_uid_" + name, b"o", b"0", (b"u", text))

# The unprivileged sequence, from outside and from inside, for each id pair.
for ids, uid, gid in [(b"0", b"1000", b"1000"), (b"1", b"54321", b"54322"),
                      (b"2", b"4294967294", b"4294967294"), (b"3", b"1000", b"0")]:
    for writer, where in [(b"o", "outside"), (b"i", "inside")]:
        seed(f"owner_{where}_ids{ids.decode()}_deny_gid_uid", writer, ids,
             (b"s", b"deny"), (b"g", b"0 " + gid + b" 1"), (b"u", b"0 " + uid + b" 1\n"))
    seed(f"owner_ids{ids.decode()}_gid_before_deny", b"o", ids,
         (b"g", b"0 " + gid + b" 1"), (b"s", b"deny"), (b"g", b"0 " + gid + b" 1"))
    seed(f"owner_ids{ids.decode()}_other_uid", b"i", ids, (b"u", b"0 0 1"))

seed("root_uid_gid_setgroups", b"r", b"0", (b"u", b"0 0 4294967295"),
     (b"s", b"deny"), (b"g", b"0 0 4294967295\n"))
seed("root_gid_then_deny", b"r", b"0", (b"g", b"0 0 10"), (b"s", b"deny"), (b"s", b"allow"))
seed("root_deny_then_allow", b"r", b"0", (b"s", b"deny\n"), (b"s", b"allow\n"))
seed("root_uid_twice", b"r", b"0", (b"u", b"0 0 1"), (b"u", b"1 1 1"), (b"u", b" " * 4096))
seed("root_setgroups_junk", b"r", b"0", (b"s", b"deny x"), (b"s", b" allow"),
     (b"s", b"deny   \n"))
seed("root_six_steps", b"r", b"0", (b"u", b"5 5 1\n0 0 5"), (b"g", b"1 1 1"), (b"s", b"deny"),
     (b"s", b"allow"), (b"u", b"0 0 1"), (b"g", b"2 2 2"))
seed("capless_outside_uid0", b"c", b"0", (b"u", b"0 0 1"), (b"s", b"deny"), (b"g", b"0 0 1"))
seed("capless_inside_uid0", b"C", b"0", (b"s", b"deny"), (b"g", b"0 0 1"), (b"u", b"0 0 1"))
seed("no_steps", b"r", b"0")
