#!/usr/bin/env python3
"""Writes the hand-made seeds of passwd_group into corpus/.

FuzzedDataProvider reads integers and booleans from the END of the input and the build dir
(remaining bytes) from the front, so each seed is encoded here the way the fuzzer decodes it
(see passwd_group_fuzzer.cc). Run from this folder: ./make_seeds.py
"""
import pathlib

EDGES = [0, 1, 100, 1000, 30000, 30001, 65534, 65535, 65536, 872415232, 2147483647,
         2147483648, 4294901759, 4294967294, 4294967295]
COUNTS = [1, 1, 65536, 0, 2, 4294967295]


class Seed:
    def __init__(self):
        self.tail = []  # bytes in the order the fuzzer consumes them

    def bool(self, value):
        self.tail.append(1 if value else 0)

    def int_bytes(self, value, width):
        # The first byte consumed is the most significant.
        self.tail += list(value.to_bytes(width, "big"))

    def listed_or_u32(self, value, table):
        # The fuzzer's pick: an index into its table, else any 32-bit value.
        if value in table:
            self.bool(True)
            self.int_bytes(table.index(value), 1)
        else:
            self.bool(False)
            self.int_bytes(value, 4)

    def id(self, value):
        self.listed_or_u32(value, EDGES)

    def count(self, value):
        self.listed_or_u32(value, COUNTS)

    def encode(self, build_dir):
        if build_dir is None:
            self.bool(True)
            return bytes(reversed(self.tail))
        self.bool(False)
        return build_dir + bytes(reversed(self.tail))


def case(userns, caller, user=None, auto=None, build_dir=None):
    s = Seed()
    s.bool(userns)
    s.id(caller[0])
    s.id(caller[1])
    if user is not None:
        s.int_bytes(1, 1)
        s.id(user[0])
        s.id(user[1])
        s.count(user[2])
    elif auto is not None:
        slot, uid_range = auto
        s.int_bytes(2, 1)
        if slot <= 8:
            s.bool(True)
            s.int_bytes(slot, 1)
        else:
            s.bool(False)
            s.int_bytes(slot, 2)
        s.bool(uid_range)
    else:
        s.int_bytes(0, 1)
    return s.encode(build_dir)


SEEDS = {
    "unprivileged_caller": case(True, (1000, 100)),
    "unprivileged_caller_odd_ids": case(True, (123456, 654321)),
    "root_build_user": case(True, (0, 0), user=(30001, 30000, 1)),
    "auto_uid": case(True, (0, 0), auto=(0, False)),
    "auto_uid_range": case(True, (0, 0), auto=(0, True)),
    "auto_slot_5_range": case(True, (0, 0), auto=(5, True)),
    "auto_last_slot": case(True, (0, 0), auto=(52223, True)),
    "auto_past_last_slot": case(True, (0, 0), auto=(52224, False)),
    "no_userns_build_user": case(False, (0, 0), user=(30001, 30000, 1)),
    "no_userns_no_build_user": case(False, (1000, 100)),
    "no_userns_range": case(False, (0, 0), user=(872415232, 872415232, 65536)),
    "count_zero": case(True, (0, 0), user=(30001, 30000, 0)),
    "count_two": case(True, (0, 0), user=(30001, 30000, 2)),
    "range_at_top": case(True, (0, 0), user=(4294901759, 4294901759, 65536)),
    "range_past_top": case(True, (0, 0), user=(4294901760, 4294901759, 65536)),
    "invalid_uid": case(True, (0, 0), user=(4294967295, 100, 1)),
    "invalid_caller_gid": case(True, (1000, 4294967295)),
    "last_id": case(True, (4294967294, 4294967294)),
    "whole_range": case(True, (0, 0), user=(0, 0, 4294967295)),
    "uid_above_2_31": case(True, (2147483648, 2147483648)),
    "dir_nested": case(True, (1000, 100), build_dir=b"/tmp/nix-build-hello.drv-0/build"),
    "dir_root": case(True, (1000, 100), build_dir=b"/"),
    "dir_space": case(True, (1000, 100), build_dir=b"/build dir/with spaces"),
    "dir_trailing_space": case(True, (1000, 100), build_dir=b"/build "),
    "dir_utf8": case(True, (1000, 100), build_dir="/b\u00fcild/\u00e9t\u00e9".encode()),
    "dir_latin1_byte": case(True, (1000, 100), build_dir=b"/b\xe9"),
    "dir_hash": case(True, (1000, 100), build_dir=b"/#build"),
    "dir_comma": case(True, (1000, 100), build_dir=b"/a,b"),
    "dir_backslash": case(True, (1000, 100), build_dir=b"/a\\nb"),
    "dir_relative": case(True, (1000, 100), build_dir=b"build"),
    "dir_dot_relative": case(True, (1000, 100), build_dir=b"./build"),
    "dir_empty": case(True, (1000, 100), build_dir=b""),
    "dir_colon": case(True, (1000, 100), build_dir=b"/a:b"),
    "dir_newline": case(True, (1000, 100), build_dir=b"/a\nroot::0:0::/:/bin/sh"),
    "dir_tab": case(True, (1000, 100), build_dir=b"/a\tb"),
    "dir_cr": case(True, (1000, 100), build_dir=b"/build\r"),
    "dir_nul": case(True, (1000, 100), build_dir=b"/a\0b"),
    "dir_del": case(True, (1000, 100), build_dir=b"/a\x7f"),
    "dir_range_uid0": case(True, (0, 0), user=(872415232, 872415232, 65536),
                           build_dir=b"/build/sub"),
}

if __name__ == "__main__":
    out = pathlib.Path(__file__).resolve().parent / "corpus"
    out.mkdir(exist_ok=True)
    for name, data in SEEDS.items():
        (out / name).write_bytes(data)
    print(f"wrote {len(SEEDS)} seeds to {out}")
