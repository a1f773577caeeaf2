"""integration_test: one privileged GoogleTest suite, expanded into the variants it must pass.

    integration_test(name = "foo_test", srcs = ["foo_test.cc"], deps = [...], data = [...])

makes
    foo_test               on the host, as whoever runs Bazel (root in CI)
    foo_test_rootless      on the host, as the unprivileged user nobody (run_rootless.sh)
    foo_test_vm            in a QEMU VM with a fresh kernel, as root (//vm:vm_test.bzl)
    foo_test_vm_rootless   in the VM as an unprivileged user with /etc/subuid ranges

All are tagged no-sandbox: Bazel's own sandbox is a user namespace, and these create their
own. The VM variants are tagged vm (exclude them with --test_tag_filters=-vm).
"""

load("@rules_cc//cc:defs.bzl", "cc_test")
load("//vm:vm_test.bzl", "vm_test")

def integration_test(name, srcs, deps = [], data = [], size = "medium", **kwargs):
    cc_test(
        name = name,
        srcs = srcs,
        deps = deps,
        data = data,
        size = size,
        tags = ["no-sandbox"],
        **kwargs
    )
    native.sh_test(
        name = name + "_rootless",
        srcs = ["//integration:run_rootless.sh"],
        args = ["$(rootpath :%s)" % name],
        data = [":" + name],
        size = size,
        tags = ["no-sandbox"],
    )
    vm_test(name = name + "_vm", binary = ":" + name, user = "root")
    vm_test(name = name + "_vm_rootless", binary = ":" + name, user = "rootless")
