"""The guest kernels of the VM matrix.

vm/fetch_kernels.py (run by `./harness setup`) downloads each from Debian's archive and
unpacks its image to KERNEL_CACHE/NAME/vmlinuz; vm_test and integration_test make one variant
per kernel, tagged `kernel-NAME`. Both read this file, so it stays plain literals.

    suites:  the Debian suites that carry the kernel (-security suites come from
             deb.debian.org/debian-security, the rest from deb.debian.org/debian)
    package: a shell pattern of the image package; the newest matching name is taken
"""

KERNEL_CACHE = "/var/cache/sbx-kernels"

GUEST_KERNELS = {
    "5.10": {
        "suites": ["bullseye", "bullseye-security"],
        "package": "linux-image-5.10.0-*-cloud-amd64",
    },
    "6.1": {
        "suites": ["bookworm", "bookworm-security"],
        "package": "linux-image-6.1.0-*-cloud-amd64",
    },
    "6.12": {
        "suites": ["bookworm-backports", "bookworm-security"],
        "package": "linux-image-6.12.*+deb12*-cloud-amd64",
    },
}

# The one kernel `bazel test //...` runs when MATRIX_BY_DEFAULT (vm/vm_test.bzl) is off:
# Debian 12's own.
DEFAULT_KERNEL = "6.1"
