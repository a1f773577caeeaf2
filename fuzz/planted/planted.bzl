"""Planted bugs: the measure of the fuzzers (docs/fuzzing.md, "Planted bugs").

Each bug is one realistic defect in the code a fuzz target covers. plant.py copies the
production source with the defect under `#ifdef SBX_PLANTED_BUG`; the copy, compiled with
that define, replaces the production library in a fuzzer built from the target's own
sources, seeds, dictionary and options. The fuzzer must find the bug within `limit` seconds
(fuzz/planted/run_planted.sh), with the sanitizer build and in campaign mode; its regression
test checks, without fuzzing, that the seeds do not show the bug (so the fuzzer has to find
it) and that the inputs in fuzz/planted/BUG/found/ do, with a message matching `pattern`.
"""

load(":fuzz.bzl", "sbx_fuzz_test")

# target: the fuzz target whose sources, seeds, dictionary and options are used.
# src, lib: the production source the bug is planted in, and its library.
# correct, buggy: the text on exactly one line of src, and what it becomes.
# pattern: what the fuzzer prints when it finds this bug (grep -E).
# limit: seconds within which the fuzzer must find it.
PLANTED_BUGS = {
    "pid_line_colon_digit": {
        "what": "the digit test's upper bound is off by one: ':' reads as digit 10",
        "target": "pid_line",
        "srcs": ["pid_line/pid_line_fuzzer.cc"],
        "deps": [":print_input"],
        "src": "//sandbox/rules:pid_line.cc",
        "lib": "//sandbox/rules:pid_line",
        "correct": "c < '0' || c > '9'",
        "buggy": "c < '0' || c > ':'",
        "pattern": "pid_line property violated: accepted a line outside the contract",
        "limit": 60,
    },
    "id_map_format_short_buffer": {
        "what": "FormatIdMap's extent buffer leaves out the two spaces: 31+ characters are cut",
        "target": "id_map",
        "srcs": ["id_map/id_map_fuzzer.cc"],
        "deps": [":id_map_properties", "//sandbox/rules:id_map_kernel_rules"],
        "src": "//sandbox/rules:id_map.cc",
        "lib": "//sandbox/rules:id_map",
        "correct": "kMaxExtentChars = 3 * 10 + 2;",
        "buggy": "kMaxExtentChars = 3 * 10;",
        "pattern": "id_map property violated: ",
        "limit": 120,
    },
    "kernel_rules_list_order": {
        "what": "a map of exactly 5 extents is listed sorted, where the kernel keeps write order",
        "target": "id_map_kernel",
        "srcs": ["id_map_kernel/id_map_kernel_fuzzer.cc"],
        "deps": [":id_map_kernel_scenario", ":print_input", "//testing:userns_writes"],
        "src": "//sandbox/rules:id_map_kernel_rules.cc",
        "lib": "//sandbox/rules:id_map_kernel_rules",
        "correct": "if (extents.size() > kMaxBaseExtents) {",
        "buggy": "if (extents.size() >= kMaxBaseExtents) {",
        "pattern": "id_map_kernel: rules and kernel disagree: text of",
        "limit": 120,
    },
    "passwd_unit_separator": {
        "what": "the control-byte test of the build dir is off by one: 0x1F reaches passwd",
        "target": "passwd_group",
        "srcs": ["passwd_group/passwd_group_fuzzer.cc"],
        "deps": [
            "//sandbox/rules:identity",
            "//sandbox/rules:start_plan",
            "//sandbox/base:sys_error",
        ],
        "src": "//sandbox/rules:passwd.cc",
        "lib": "//sandbox/rules:passwd",
        "correct": "if (c < 0x20 || c == 0x7F) {",
        "buggy": "if (c < 0x1F || c == 0x7F) {",
        "pattern": "passwd_group property violated: accepted an unrepresentable build dir",
        "limit": 60,
    },
    "sbx_args_cr_unescaped": {
        "what": "error messages escape control bytes but a carriage return",
        "target": "sbx_args",
        "srcs": ["sbx_args/sbx_args_fuzzer.cc"],
        "deps": [":print_input", "//sandbox/cli:sbx_args"],
        "src": "//sandbox/base:escape.cc",
        "lib": "//sandbox/base:escape",
        "correct": "} else if (c < 0x20 || c >= 0x7f) {",
        "buggy": "} else if ((c < 0x20 && c != '\\r') || c >= 0x7f) {",
        "pattern": "sbx_args property violated: error message is not one line",
        "limit": 60,
    },
}

def _shell_quote(text):
    return "'" + text.replace("'", "'\\''").replace("$", "$$") + "'"

def sbx_planted_bug(name, bug):
    """Makes planted_NAME (fuzzer, regression test, launcher) with the bug of PLANTED_BUGS."""
    src_name = bug["src"].split(":")[1]
    planted_src = "planted/%s/%s" % (name, src_name)
    native.genrule(
        name = "planted_%s_src" % name,
        srcs = [bug["src"]],
        outs = [planted_src],
        cmd = " ".join([
            "$(location planted/plant.py) $< $@",
            _shell_quote(bug["correct"]),
            _shell_quote(bug["buggy"]),
        ]),
        tools = ["planted/plant.py"],
    )

    # alwayslink: the copy's objects are linked whole, so the production library's archive
    # (still a dependency, for its header and its own dependencies) is never pulled in.
    native.cc_library(
        name = "planted_%s_lib" % name,
        srcs = [planted_src],
        copts = ["-DSBX_PLANTED_BUG"],
        deps = [bug["lib"]],
        alwayslink = True,
    )
    target = bug["target"]
    sbx_fuzz_test(
        name = "planted_" + name,
        srcs = bug["srcs"],
        deps = bug["deps"] + [bug["lib"], ":planted_%s_lib" % name],
        dict = "%s/%s.dict" % (target, target),
        options = "%s/%s.options" % (target, target),
        corpus = target,
        expect_failure = (bug["pattern"], "planted/%s/found" % name),
        oss_fuzz = False,
        tags = ["sbx_fuzz_demo", "sbx_planted"],
        test_tags = ["no-sandbox"] if target == "id_map_kernel" else [],
    )

def planted_bugs_table(name):
    """NAME.tsv: one line per bug (name, target, limit, pattern, what) for run_planted.sh."""
    lines = ["\t".join([bug, b["target"], str(b["limit"]), b["pattern"], b["what"]])
             for bug, b in sorted(PLANTED_BUGS.items())]
    native.genrule(
        name = name,
        outs = [name + ".tsv"],
        cmd = "printf '%%s\\n' %s > $@" % " ".join([_shell_quote(l) for l in lines]),
    )
