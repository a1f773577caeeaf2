"""integration_test: one privileged GoogleTest suite, expanded into the variants it must pass.

    integration_test(name = "foo_test", srcs = ["foo_test.cc"], deps = [...], data = [...])

makes
    foo_test                     on the host, as whoever runs Bazel (root in CI)
    foo_test_rootless            on the host, as the unprivileged user nobody (run_rootless.sh)
    foo_test_vm_KERNEL           in a QEMU VM booting KERNEL (5.10, 6.1, 6.12: vm/kernels.bzl),
                                 as root (//vm:vm_test.bzl)
    foo_test_vm_rootless_KERNEL  the same as an unprivileged user with /etc/subuid ranges

vm = False leaves out the VM variants (a suite that needs a disk the guest lacks).
All are tagged no-sandbox: Bazel's own sandbox is a user namespace, and these create their
own. The VM variants are tagged vm (exclude them with --test_tag_filters=-vm) and
kernel-KERNEL (see MATRIX_BY_DEFAULT in //vm:vm_test.bzl for which run by default).
"""

load("@rules_cc//cc:defs.bzl", "cc_test")
load("//vm:vm_test.bzl", "vm_initramfs", "vm_test_per_kernel")

def integration_test(name, srcs, deps = [], data = [], size = "medium", vm = True, **kwargs):
    cc_test(
        name = name,
        srcs = srcs,
        deps = deps + ["//testing:host_guard"],
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
    if not vm:
        return
    vm_initramfs(name = name + "_vm_initramfs", binary = ":" + name)
    for user, suffix in (("root", "_vm"), ("rootless", "_vm_rootless")):
        vm_test_per_kernel(
            name = name + suffix,
            binary = ":" + name,
            user = user,
            initramfs = ":%s_vm_initramfs" % name,
        )
