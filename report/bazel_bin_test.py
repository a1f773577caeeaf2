#!/usr/bin/python3
"""bazel-bin stays the normal build, whatever the harness ran last (the README gives
bazel-bin/sandbox/sbx).

Bazel points bazel-bin, bazel-testlogs and bazel-out at the configuration of the last
command, and a configuration that changes only compiler flags writes into the default
output tree. So every .bazelrc config that changes what is built must have its own output
tree (--platform_suffix, or a --compilation_mode other than fastbuild) and its own links
(--symlink_prefix), and the harness scripts must change the build only through such a
config, never with flags of their own (e.g. `-c opt`). A config that only other configs
include, without links of its own (sanitize_address, for asan and fuzz), is a building block,
checked in its includers.

Usage: bazel_bin_test.py BAZELRC SCRIPT...
"""
import re
import shlex
import sys
import unittest

# Options that say how and where actions run, or what is printed, not what they build.
NEUTRAL = {
    "color", "curses", "show_progress_rate_limit", "keep_going", "test_output",
    "test_summary", "test_env", "remote_timeout", "jobs", "remote_download_minimal",
    "incompatible_strict_action_env", "spawn_strategy", "remote_executor",
}
# Flags that change the build when a script passes them itself.
BUILD_CHANGING_FLAG = re.compile(
    r"(?:^|[\s(])(-c[ =]?(?:opt|dbg|fastbuild)\b|--compilation_mode\b|"
    r"--(?:copt|cxxopt|conlyopt|linkopt|define|features|platform_suffix|platforms|cpu)\b)")


def read_configs(bazelrc_text):
    """{config: [(option name, value)]} in file order; `--config=X` kept as an option."""
    configs = {}
    for line in bazelrc_text.splitlines():
        words = shlex.split(line, comments=True)
        if not words or ":" not in words[0]:
            continue
        config = words[0].split(":", 1)[1]
        options = configs.setdefault(config, [])
        for word in words[1:]:
            name, _, value = word.lstrip("-").partition("=")
            options.append(({"c": "compilation_mode"}.get(name, name), value))
    return configs


def expand(configs, config):
    """The options of `config` with nested --config=X replaced by X's options."""
    out = []
    for name, value in configs[config]:
        out += expand(configs, value) if name == "config" else [(name, value)]
    return out


def last(options, name, default=""):
    values = [value for option, value in options if option == name]
    return values[-1] if values else default


def building_blocks(configs):
    """Configs that other configs include and that have no links of their own, i.e. are not
    meant to be named on a command line."""
    included = {value for options in configs.values() for name, value in options
                if name == "config"}
    return {config for config in included if config in configs
            and not any(name == "symlink_prefix" for name, _ in configs[config])}


def check_configs(configs, names=None):
    """Problems, one line each; empty when each of `names` (default: every config but the
    building blocks) that changes the build is kept apart."""
    if names is None:
        names = [name for name in configs if name not in building_blocks(configs)]
    problems, trees, prefixes = [], {}, {}
    for config in names:
        options = expand(configs, config)
        changing = sorted({name for name, _ in options} - NEUTRAL)
        if not changing:
            continue
        tree = (last(options, "compilation_mode", "fastbuild"), last(options, "platform_suffix"))
        prefix = last(options, "symlink_prefix", "bazel-")
        if tree == ("fastbuild", ""):
            problems.append("config %s changes the build (%s) but writes into the default "
                            "output tree: give it a --platform_suffix"
                            % (config, ", ".join(changing)))
        if prefix == "bazel-":
            problems.append("config %s changes the build but moves bazel-bin: give it a "
                            "--symlink_prefix" % config)
        for seen, kind, key in ((trees, "output tree", tree), (prefixes, "links", prefix)):
            if key in seen and key not in (("fastbuild", ""), "bazel-"):
                problems.append("configs %s and %s share their %s" % (seen[key], config, kind))
            seen.setdefault(key, config)
    return problems


def check_script(path, text, configs):
    """Problems of one script: build-changing flags of its own, configs that are not kept
    apart (building blocks included) or that .bazelrc lacks."""
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        code = "" if line.lstrip().startswith("#") else line
        if BUILD_CHANGING_FLAG.search(code):
            problems.append("%s:%d changes the build without a config: %s"
                            % (path, number, line.strip()))
        for config in re.findall(r"--config[= ](\w+)", code):
            if config not in configs:
                problems.append("%s:%d uses --config=%s, which .bazelrc lacks"
                                % (path, number, config))
            else:
                problems += ["%s:%d: %s" % (path, number, problem)
                             for problem in check_configs(configs, [config])]
    return problems


class Configs(unittest.TestCase):
    def test_a_flag_config_without_its_own_tree_and_links_is_caught(self):
        configs = read_configs("build:asan --copt=-fsanitize=address\n"
                               "build:ci --color=no --keep_going\n")
        self.assertEqual(len(check_configs(configs)), 2, check_configs(configs))

    def test_a_nested_config_and_c_opt_are_followed(self):
        configs = read_configs("build:asan --copt=-O1 --platform_suffix=-asan "
                               "--symlink_prefix=bazel-asan-\n"
                               "build:fuzz --config=asan --symlink_prefix=bazel-fuzz-\n"
                               "build:bench -c opt --symlink_prefix=bazel-bench-\n")
        self.assertEqual(check_configs(configs),
                         ["configs asan and fuzz share their output tree"])

    def test_a_building_block_is_checked_where_it_is_used(self):
        configs = read_configs("build:flags --copt=-O1\n"
                               "build:asan --config=flags --platform_suffix=-asan "
                               "--symlink_prefix=bazel-asan-\n")
        self.assertEqual(check_configs(configs), [])
        self.assertEqual(len(check_script("s", "bazel build --config=flags //...\n", configs)), 2)
        self.assertEqual(check_script("s", "bazel build --config=asan //...\n", configs), [])

    def test_a_script_with_c_opt_or_an_unknown_config_is_caught(self):
        self.assertEqual(len(check_script("s", 'flags=(-c opt)\nbazel build "${flags[@]}"\n',
                                          {})), 1)
        self.assertEqual(len(check_script("s", "bazel build --config=bench //...\n", {})), 1)
        self.assertEqual(check_script("s", "# -c opt is for bench\nbazel build --config=ci\n",
                                      {"ci": []}), [])


class Project(unittest.TestCase):
    def test_every_build_changing_config_has_its_own_tree_and_links(self):
        with open(BAZELRC) as f:
            self.assertEqual(check_configs(read_configs(f.read())), [])

    def test_scripts_change_the_build_only_through_such_configs(self):
        with open(BAZELRC) as f:
            configs = read_configs(f.read())
        problems = []
        for path in SCRIPTS:
            with open(path) as f:
                problems += check_script(path, f.read(), configs)
        self.assertEqual(problems, [])


if __name__ == "__main__":
    BAZELRC, SCRIPTS = sys.argv[1], sys.argv[2:]
    unittest.main(argv=sys.argv[:1])
