"""The OSS-Fuzz build, taken from the Bazel graph (docs/fuzzing.md, "OSS-Fuzz and ClusterFuzzLite").

OSS-Fuzz's builder image has no Bazel workspace, so fuzz/oss-fuzz/build.sh compiles sources
directly. It reads which targets to build, and which sources each compiles, from the
checked-in fuzz/oss-fuzz/sources.txt, which is generated here and kept equal by a test.

`sbx_oss_fuzz(name = "oss_fuzz")`, called in fuzz/BUILD.bazel after every sbx_fuzz_test,
makes for the fuzz targets declared with oss_fuzz = True (their binaries carry OSS_FUZZ_TAG):
  :oss_fuzz_sources         oss_fuzz_sources.txt: a comment header, then one line per
                            target, `NAME SRC.cc...` (sorted, from the workspace root); its
                            runfiles are those sources and their headers
  :oss_fuzz_sources_test    fails when fuzz/oss-fuzz/sources.txt differs from it
  :update_oss_fuzz_sources  `bazel run` it to rewrite fuzz/oss-fuzz/sources.txt
  :oss_fuzz_build_test      runs build.sh with clang; it must build exactly these targets
"""

# sbx_fuzz_test puts this tag on the binary (NAME_fuzzer) of every OSS-Fuzz target.
OSS_FUZZ_TAG = "sbx_oss_fuzz"

# The replay driver stands in for the engine outside --config=fuzz; build.sh links
# $LIB_FUZZING_ENGINE instead, so it is not one of the sources.
_ENGINE_STAND_IN = Label("//fuzz:replay_main")

# build.sh compiles every source with `$CXX $CXXFLAGS -std=c++20 -I<root>` and links with
# no other flags, so a library setting any of these would build differently there.
_UNSUPPORTED_ATTRS = [
    "copts",
    "defines",
    "include_prefix",
    "includes",
    "linkopts",
    "local_defines",
    "strip_include_prefix",
]

_SourcesInfo = provider(
    doc = "What build.sh needs to build a fuzzer without Bazel.",
    fields = {
        "compiled": "depset of the .cc Files to compile",
        "files": "depset of every source and header File (for runfiles)",
        "problems": "depset of strings: what build.sh could not do as Bazel does",
    },
)

def _sources_aspect_impl(target, ctx):
    rule = ctx.rule
    problems = []
    compiled = []
    files = []
    for attr in ["srcs", "hdrs", "textual_hdrs"]:
        for f in getattr(rule.files, attr, []):
            files.append(f)
            if not f.is_source or f.owner.workspace_name:
                problems.append("%s: %s is generated or external" % (target.label, f.short_path))
            elif attr == "srcs" and f.extension == "cc":
                compiled.append(f)
            elif f.extension != "h":
                problems.append("%s: %s is neither a .cc source nor a .h header" % (
                    target.label,
                    f.short_path,
                ))

    # The fuzzer binary's own linkopts name the engine (-fsanitize=fuzzer), which build.sh
    # takes from $LIB_FUZZING_ENGINE.
    is_fuzzer = OSS_FUZZ_TAG in getattr(rule.attr, "tags", [])
    for attr in _UNSUPPORTED_ATTRS:
        if getattr(rule.attr, attr, None) and not (is_fuzzer and attr == "linkopts"):
            problems.append("%s: sets %s, which build.sh does not pass" % (target.label, attr))

    deps = [
        dep[_SourcesInfo]
        for dep in getattr(rule.attr, "deps", [])
        if _SourcesInfo in dep and dep.label != _ENGINE_STAND_IN
    ]
    return [_SourcesInfo(
        compiled = depset(compiled, transitive = [d.compiled for d in deps]),
        files = depset(files, transitive = [d.files for d in deps]),
        problems = depset(problems, transitive = [d.problems for d in deps]),
    )]

_sources_aspect = aspect(
    implementation = _sources_aspect_impl,
    attr_aspects = ["deps"],
)

_HEADER = """\
# Generated from the Bazel graph by {label} (fuzz/oss_fuzz.bzl); do not edit.
# Update with: bazel run {update}
# One line per OSS-Fuzz target: its name, then every .cc file its fuzzer compiles.
"""

def _sources_impl(ctx):
    problems = []
    lines = []
    transitive = []
    for fuzzer, name in ctx.attr.fuzzers.items():
        info = fuzzer[_SourcesInfo]
        problems += info.problems.to_list()
        lines.append(" ".join([name] + sorted([f.short_path for f in info.compiled.to_list()])))
        transitive.append(info.files)
    if problems:
        fail("fuzz/oss-fuzz/build.sh cannot build these OSS-Fuzz targets as Bazel does:\n  " +
             "\n  ".join(sorted(problems)) +
             "\nChange the library, or teach build.sh and fuzz/oss_fuzz.bzl the difference.")
    out = ctx.actions.declare_file(ctx.label.name + ".txt")
    header = _HEADER.format(label = ctx.label, update = ctx.attr.update)
    ctx.actions.write(out, header + "\n".join(sorted(lines)) + "\n")
    return [DefaultInfo(
        files = depset([out]),
        runfiles = ctx.runfiles(files = [out], transitive_files = depset(transitive = transitive)),
    )]

_sources = rule(
    implementation = _sources_impl,
    attrs = {
        "fuzzers": attr.label_keyed_string_dict(
            aspects = [_sources_aspect],
            doc = "fuzzer binary -> target name",
        ),
        "update": attr.string(doc = "the label of the command that updates the checked-in copy"),
    },
)

def sbx_oss_fuzz(name):
    """The OSS-Fuzz source list, its test and update command, and build.sh's test.

    Call it after every sbx_fuzz_test of the package: it finds them by OSS_FUZZ_TAG.

    Args:
      name: prefix of the targets made (NAME_sources, NAME_sources_test,
        update_NAME_sources, NAME_build_test).
    """
    fuzzers = {}
    for rule in native.existing_rules().values():
        if OSS_FUZZ_TAG in rule.get("tags", []):
            # sbx_fuzz_test names the binary of target T `T_fuzzer`.
            if not rule["name"].endswith("_fuzzer"):
                fail("%s is tagged %s but is not a sbx_fuzz_test binary" % (
                    rule["name"],
                    OSS_FUZZ_TAG,
                ))
            fuzzers[":" + rule["name"]] = rule["name"][:-len("_fuzzer")]
    if not fuzzers:
        fail("sbx_oss_fuzz found no sbx_fuzz_test with oss_fuzz = True above it")
    targets = sorted(fuzzers.values())

    update = "update_%s_sources" % name
    update_label = "//%s:%s" % (native.package_name(), update)
    _sources(name = name + "_sources", fuzzers = fuzzers, update = update_label)
    generated = ":%s_sources" % name
    checked_in = "oss-fuzz/sources.txt"

    native.sh_test(
        name = name + "_sources_test",
        size = "small",
        srcs = ["oss-fuzz/sources.sh"],
        args = [
            "check",
            "$(rootpath %s)" % generated,
            "$(rootpath %s)" % checked_in,
            update_label,
        ],
        data = [generated, checked_in],
    )

    native.sh_binary(
        name = update,
        srcs = ["oss-fuzz/sources.sh"],
        args = ["update", "$(rootpath %s)" % generated, native.package_name() + "/" + checked_in],
        data = [generated],
    )

    # build.sh from runfiles: the checked-in list, the sources and headers it names (from the
    # graph), and each target's side files by build.sh's convention (fuzz/NAME/).
    native.sh_test(
        name = name + "_build_test",
        size = "medium",
        srcs = ["oss-fuzz/build_test.sh"],
        args = targets,
        data = [
            "oss-fuzz/build.sh",
            "oss-fuzz/package.sh",
            checked_in,
            generated,
        ] + native.glob([
            "%s/%s.%s" % (t, t, ext)
            for t in targets
            for ext in ["dict", "options"]
        ]) + native.glob(
            ["%s/corpus/**" % t for t in targets],
            exclude = ["**/.gitkeep"],
        ),
    )
