"""vm_test: runs a test binary inside a QEMU virtual machine, as root or as an unprivileged user.

Usage, in any BUILD file:

    load("//vm:vm_test.bzl", "vm_test")

    cc_test(name = "foo_test", srcs = [...], deps = ["@system//:gtest_main"])

    vm_test(
        name = "foo_vm_test",
        binary = ":foo_test",
        user = "root",         # or "rootless": runs as uid 1000 `sbx`, with /etc/subuid and
                               # /etc/subgid (sbx:100000:65536) and setuid newuidmap/newgidmap
        kernel = None,         # optional: a kernel of vm/kernels.bzl ("5.10", "6.1", ...),
                               # a label or an absolute path of a kernel image; default the
                               # newest /boot/vmlinuz-*; SBX_VM_KERNEL overrides all of them
        args = [],             # passed to the binary, like --test_arg and --test_filter
    )

    vm_test_per_kernel(name = "foo_vm_test", binary = ":foo_test", user = "root")

makes one vm_test per kernel of vm/kernels.bzl, named foo_vm_test_KERNEL and tagged
`kernel-KERNEL`. With MATRIX_BY_DEFAULT (the default: the whole matrix stays well inside CI's
time) `bazel test //...` runs every kernel; without it, those of kernels other than
DEFAULT_KERNEL are tagged `manual` and only `./harness vm --all-kernels` runs them.

Further keyword arguments (size, timeout, tags, flaky, ...) go to the test. The test is tagged
`vm` and `no-sandbox`, size "large", timeout "moderate" (300 s; the guest's own time limit is
60 s less). The binary's runfiles are in the guest at /runfiles/<workspace>/..., the working
directory is /runfiles/<workspace>, and TEST_SRCDIR, TEST_TMPDIR, HOME, GTEST_*, SBX_* (except
SBX_VM_*) and TESTBRIDGE_TEST_ONLY are set as on the host, plus SBX_IN_VM=1,
SBX_ALLOW_HOST_CGROUP=1, SBX_GUEST_KERNEL (the kernels.bzl name, when the test has one and
SBX_VM_KERNEL does not override it) and SBX_VM_CGROUP (a cgroup the test may create children in; for
rootless, delegated to the user). Pass environment to the runner with --test_env, e.g.
`bazel test --test_env=SBX_VM_KERNEL=/path/vmlinuz --test_env=SBX_VM_ACCEL=kvm //...`.
See docs/vm.md.
"""

load("//vm:kernels.bzl", "DEFAULT_KERNEL", "GUEST_KERNELS", "KERNEL_CACHE")

# Whether `bazel test //...` runs every kernel of the matrix, not only DEFAULT_KERNEL. The
# whole VM matrix took 10-13 min, build included, on 2 cores shared with a load of 5-16.
MATRIX_BY_DEFAULT = True

# Debian's interpreter: the runner and packer use only its standard library, and PATH under
# Bazel may lead to a shim that needs the user's environment. -B: runfiles and inputs link
# back to the source tree, where bytecode caches would land.
_PYTHON = "/usr/bin/python3"
_BUSYBOX = "/usr/bin/busybox"  # Debian's busybox-static
_SETUID_HELPERS = ["/usr/bin/newuidmap", "/usr/bin/newgidmap"]

def _guest_path(ctx, file):
    """Where a runfile lives in the guest; external repositories sit beside the workspace."""
    if file.short_path.startswith("../"):
        return "/runfiles/" + file.short_path[3:]
    return "/runfiles/%s/%s" % (ctx.workspace_name, file.short_path)

def _vm_initramfs_impl(ctx):
    binary = ctx.attr.binary[DefaultInfo]
    files = depset([ctx.executable.binary], transitive = [binary.default_runfiles.files])
    manifest = ctx.actions.declare_file(ctx.label.name + ".manifest")
    ctx.actions.write(manifest, "".join([
        "%s\t%s\n" % (_guest_path(ctx, f), f.path)
        for f in files.to_list()
    ]))
    out = ctx.actions.declare_file(ctx.label.name + ".cpio")
    args = ctx.actions.args()
    args.add("-B")
    args.add(ctx.file._packer)
    args.add("--out", out)
    args.add("--init", ctx.file._init)
    args.add("--busybox", _BUSYBOX)
    args.add_all(_SETUID_HELPERS, before_each = "--setuid")
    args.add("--manifest", manifest)
    ctx.actions.run(
        executable = _PYTHON,
        arguments = [args],
        inputs = depset(
            [manifest, ctx.file._init, ctx.file._packer] + ctx.files._packer_libs,
            transitive = [files],
        ),
        outputs = [out],
        mnemonic = "VmInitramfs",
        progress_message = "Packing the VM initramfs for %s" % ctx.attr.binary.label,
    )
    return [DefaultInfo(files = depset([out]))]

_vm_initramfs = rule(
    implementation = _vm_initramfs_impl,
    attrs = {
        "binary": attr.label(executable = True, cfg = "target", mandatory = True),
        "_packer": attr.label(default = "//vm:pack_initramfs.py", allow_single_file = True),
        "_packer_libs": attr.label_list(default = ["//vm:newc.py"], allow_files = True),
        "_init": attr.label(default = "//vm:init.sh", allow_single_file = True),
    },
)

def _vm_test_impl(ctx):
    guest_binary = _guest_path(ctx, ctx.executable.binary)
    kernel_files = ctx.files.kernel
    kernel = kernel_files[0].short_path if kernel_files else ctx.attr.kernel_path
    command = [
        _PYTHON,
        "-B",
        ctx.file._runner.short_path,
        "--initramfs",
        ctx.file.initramfs.short_path,
        "--binary",
        guest_binary,
        "--user",
        ctx.attr.user,
    ]
    if kernel:
        command += ["--kernel", kernel]
    if ctx.attr.kernel_name:
        command += ["--kernel-name", ctx.attr.kernel_name]
    launcher = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.write(
        launcher,
        "#!/bin/bash\nexec %s -- \"$@\"\n" % " ".join(["'%s'" % word for word in command]),
        is_executable = True,
    )
    runfiles = ctx.runfiles(
        files = [ctx.file._runner, ctx.file.initramfs] + ctx.files._runner_libs + kernel_files,
    )
    return [DefaultInfo(executable = launcher, runfiles = runfiles)]

_vm_test = rule(
    implementation = _vm_test_impl,
    test = True,
    attrs = {
        # Only its guest path is used: the binary itself travels inside the initramfs.
        "binary": attr.label(executable = True, cfg = "target", mandatory = True),
        "initramfs": attr.label(allow_single_file = True, mandatory = True),
        "user": attr.string(values = ["root", "rootless"], default = "root"),
        "kernel": attr.label(allow_single_file = True),
        "kernel_path": attr.string(),
        "kernel_name": attr.string(),
        "_runner": attr.label(default = "//vm:run_vm.py", allow_single_file = True),
        "_runner_libs": attr.label_list(
            default = ["//vm:kernel.py", "//vm:newc.py"],
            allow_files = True,
        ),
    },
)

def vm_initramfs(name, binary, tags = []):
    """The guest's initramfs for `binary`, for vm_test's `initramfs`."""
    _vm_initramfs(
        name = name,
        binary = binary,
        tags = [t for t in tags if t == "manual"],
        testonly = True,
        visibility = ["//visibility:private"],
    )

def vm_test(
        name,
        binary,
        user = "root",
        kernel = None,
        tags = [],
        size = "large",
        timeout = "moderate",
        initramfs = None,
        **kwargs):
    """A test that runs `binary` in a QEMU VM; see the top of this file. `initramfs`: one
    made by vm_initramfs for the same binary, to share it between variants."""
    if initramfs == None:
        initramfs = name + "_initramfs"
        vm_initramfs(name = initramfs, binary = binary, tags = tags)
    kernel_name = ""
    if kernel in GUEST_KERNELS:
        kernel_name = kernel
        kernel = "%s/%s/vmlinuz" % (KERNEL_CACHE, kernel_name)
    is_path = kernel != None and kernel.startswith("/")
    _vm_test(
        name = name,
        binary = binary,
        initramfs = initramfs,
        user = user,
        kernel = None if is_path else kernel,
        kernel_path = kernel if is_path else "",
        kernel_name = kernel_name,
        size = size,
        timeout = timeout,
        tags = tags + ["vm", "no-sandbox"],
        **kwargs
    )

def vm_test_per_kernel(name, binary, user = "root", tags = [], initramfs = None, **kwargs):
    """One vm_test per kernel of vm/kernels.bzl: NAME_KERNEL, tagged kernel-KERNEL."""
    if initramfs == None:
        initramfs = name + "_initramfs"
        vm_initramfs(name = initramfs, binary = binary, tags = tags)
    for kernel in GUEST_KERNELS:
        extra = ["kernel-" + kernel]
        if kernel != DEFAULT_KERNEL and not MATRIX_BY_DEFAULT and "manual" not in tags:
            extra.append("manual")
        vm_test(
            name = "%s_%s" % (name, kernel),
            binary = binary,
            user = user,
            kernel = kernel,
            tags = tags + extra,
            initramfs = initramfs,
            **kwargs
        )
