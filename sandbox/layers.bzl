"""The library's packages by where their code runs, and which of them each may use.

A package may use only the packages listed for it; Bazel enforces it through `visibility`
(every package's default_visibility is layer_visibility(its name)), and
//sandbox:layers_test checks the #includes against the same table. Outside the library, the
binary, the tests and the harness around it may use any package.
"""

LAYERS = {
    # fds, the syscall seam, raw syscalls, reading to the end, escaping, the error type
    "base": [],
    # pure: id maps and the kernel's rules, identity, passwd/group, pid line, the plan
    "rules": ["base"],
    # build time only: compiles the builder's seccomp program
    "tools": ["base"],
    # the parent, before the start: the sandbox root and every file in it, the build dir
    "root": ["base", "rules"],
    # the builder, after release: mounts, ids, seccomp, fds, exec
    "builder": ["base", "rules", "tools"],
    # the parent, during the start: launchers, release channel, id maps, cgroup
    "start": ["base", "rules", "root"],
    # a whole run: root, start, supervision (signals, cgroup, leftovers), wait, removal
    "run": ["base", "rules", "root", "builder", "start"],
    # the command line: parses and prints
    "cli": ["base", "rules", "run"],
}

# Everything around the library may use any of it.
OUTSIDE_USERS = [
    "//sandbox:__pkg__",
    "//bench:__subpackages__",
    "//conformance:__subpackages__",
    "//fuzz:__subpackages__",
    "//integration:__subpackages__",
    "//testing:__subpackages__",
    "//vm:__subpackages__",
]

def layer_visibility(layer):
    """Who may depend on the package `layer`: the layers that list it, and the outside."""
    return ["//sandbox/%s:__pkg__" % user for user, used in LAYERS.items() if layer in used] + OUTSIDE_USERS
