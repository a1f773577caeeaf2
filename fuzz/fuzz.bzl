"""sbx_fuzz_test: one macro call per fuzz target (in the spirit of rules_fuzzing's cc_fuzz_test).

For `sbx_fuzz_test(name = "foo", srcs = [...], deps = [...])` in //fuzz it makes:
  :foo_fuzzer              the fuzz binary: libFuzzer + ASan + UBSan under --config=fuzz,
                           else the replay driver (replay_main.cc) that runs files given as args
  :foo_regression_test     replays fuzz/foo/corpus/ and fuzz/foo/crashes/ (size small)
  :foo_run                 `bazel run --config=fuzz //fuzz:foo_run -- --seconds N [--minimize]`
  :foo_oss_fuzz            oss_fuzz_out/foo_seed_corpus.zip, foo.dict, foo.options
  :foo_package_test        checks those three files against the sources
Inputs by convention: fuzz/foo/corpus/ (seeds), fuzz/foo/crashes/ (reproducers, kept
forever), fuzz/foo/foo.dict (libFuzzer dictionary), fuzz/foo/foo.options (libFuzzer flags in
OSS-Fuzz's format, read by the launcher too, so both run the target the same way).
"""

load("@rules_cc//cc:defs.bzl", "cc_binary")
load(":oss_fuzz.bzl", "OSS_FUZZ_TAG")

_LIBFUZZER = "//fuzz:libfuzzer_engine"
_REPLAY_MAIN = "//fuzz:replay_main"
_REGRESSION_SH = "//fuzz:regression_test.sh"
_LAUNCHER_SH = "//fuzz:launcher.sh"
_EXEC_RATE_PY = "//fuzz:exec_rate.py"
_PACKAGE_SH = "//fuzz:oss-fuzz/package.sh"
_PACKAGE_TEST_SH = "//fuzz:package_test.sh"

# Files in corpus folders that are bookkeeping, not inputs.
_NOT_INPUTS = ["**/.gitkeep", "**/README*"]

def sbx_fuzz_test(
        name,
        srcs,
        deps = [],
        dict = None,
        options = None,
        corpus = None,
        copts = [],
        tags = [],
        test_tags = [],
        expect_failure = None,
        oss_fuzz = True):
    """Declares a fuzz target and its regression test, launcher and OSS-Fuzz packaging.

    Args:
      name: target name; also the folder (fuzz/NAME/) of its corpus, crashes, dictionary
        and options.
      srcs: sources defining LLVMFuzzerTestOneInput (and optionally LLVMFuzzerInitialize).
      deps: libraries under test.
      dict: libFuzzer dictionary; default fuzz/NAME/NAME.dict (packaged as NAME.dict).
      options: libFuzzer options file ("[libfuzzer]" then "key = value" lines); default
        fuzz/NAME/NAME.options.
      corpus: folder holding corpus/ and crashes/; default NAME (lets a target share
        another's seeds and reproducers, as id_map_kernel shares id_map's).
      copts: extra compiler flags for srcs.
      tags: tags for every generated target (e.g. "manual").
      test_tags: extra tags for the regression test only (e.g. "no-sandbox").
      expect_failure: for a demo with a planted bug, (PATTERN, FOLDER): every input in
        fuzz/FOLDER must make the target fail with a message matching PATTERN, in the
        regression test (besides the seeds passing).
      oss_fuzz: whether OSS-Fuzz builds the target (fuzz/oss_fuzz.bzl finds it by a tag on
        its binary) and to make its packaging and package test (not for demos, nor for
        targets the fuzzing bots cannot run).
    """
    pkg = native.package_name()
    folder = corpus or name
    dict = dict or "%s/%s.dict" % (name, name)
    seeds = native.glob([folder + "/corpus/**"], exclude = _NOT_INPUTS)
    crashes = native.glob([folder + "/crashes/**"], exclude = _NOT_INPUTS)
    options = options or "%s/%s.options" % (name, name)

    # Not plain NAME: that is the folder holding the corpus, and the binary would shadow it
    # in the runfiles tree.
    binary = name + "_fuzzer"
    cc_binary(
        name = binary,
        srcs = srcs,
        copts = copts,
        deps = deps + select({
            _LIBFUZZER: [],
            "//conditions:default": [_REPLAY_MAIN],
        }),
        linkopts = select({
            _LIBFUZZER: ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        tags = tags + ([OSS_FUZZ_TAG] if oss_fuzz else []),
    )

    expect_args = []
    expected = []
    if expect_failure:
        pattern, expect_folder = expect_failure
        expected = native.glob([expect_folder + "/**"], exclude = _NOT_INPUTS)
        expect_args = ["--expect-failure", "'%s'" % pattern, "%s/%s" % (pkg, expect_folder)]
    native.sh_test(
        name = name + "_regression_test",
        size = "small",
        srcs = [_REGRESSION_SH],
        args = ["$(rootpath :%s)" % binary] + expect_args +
               ["%s/%s/corpus" % (pkg, folder), "%s/%s/crashes" % (pkg, folder)],
        data = [":" + binary] + seeds + crashes + expected,
        tags = tags + test_tags,
    )

    # The launcher is launcher.sh behind a header naming this target's files, so it also
    # works when run straight from bazel-bin (as run_all.sh does), where `args` would not apply.
    native.genrule(
        name = name + "_run_script",
        srcs = [_LAUNCHER_SH],
        outs = [name + "_run.sh"],
        cmd = "(" + "; ".join([
            "echo '#!/usr/bin/env bash'",
            "echo 'SBX_FUZZ_NAME=%s'" % name,
            "echo 'SBX_FUZZ_BINARY=%s/%s'" % (pkg, binary),
            "echo 'SBX_FUZZ_DICT=%s/%s'" % (pkg, dict),
            "echo 'SBX_FUZZ_SEEDS=%s/%s/corpus'" % (pkg, folder),
            "echo 'SBX_FUZZ_CRASHES=%s/%s/crashes'" % (pkg, folder),
            "echo 'SBX_FUZZ_OPTIONS=%s/%s'" % (pkg, options),
            "echo 'SBX_FUZZ_EXEC_RATE=fuzz/exec_rate.py'",
        ]) + "; " + select({
            _LIBFUZZER: "echo SBX_FUZZ_ENGINE=libfuzzer",
            "//conditions:default": "echo SBX_FUZZ_ENGINE=replay",
        }) + "; cat $(location %s)) > $@" % _LAUNCHER_SH,
        tags = tags,
    )

    native.sh_binary(
        name = name + "_run",
        srcs = [":" + name + "_run.sh"],
        data = [":" + binary, dict, options, _EXEC_RATE_PY] + seeds,
        tags = tags + ["sbx_fuzz_launcher"],
    )

    if not oss_fuzz:
        return
    out = "oss_fuzz_out/" + name
    native.genrule(
        name = name + "_oss_fuzz",
        srcs = [dict, options] + seeds,
        tools = [_PACKAGE_SH],
        outs = [out + "_seed_corpus.zip", out + ".dict", out + ".options"],
        cmd = " ".join([
            "$(location %s)" % _PACKAGE_SH,
            "--name", name,
            "--out", "$(RULEDIR)/oss_fuzz_out",
            "--dict", "$(location %s)" % dict,
            "--options", "$(location %s)" % options,
        ] + ["$(location %s)" % s for s in seeds]),
        tags = tags,
    )

    native.sh_test(
        name = name + "_package_test",
        size = "small",
        srcs = [_PACKAGE_TEST_SH],
        args = [
            name,
            "$(rootpath %s_seed_corpus.zip)" % out,
            "$(rootpath %s.dict)" % out,
            "$(rootpath %s.options)" % out,
            "$(rootpath %s)" % dict,
            "$(rootpath %s)" % options,
        ] + ["$(rootpath %s)" % s for s in seeds],
        data = [
            out + "_seed_corpus.zip",
            out + ".dict",
            out + ".options",
            dict,
            options,
        ] + seeds,
        tags = tags,
    )
