"""What the run ran on: host kernel, CPUs, memory, KVM, QEMU, the guest kernels, the tools
and the sbx version.

Each item is best effort (a missing tool reads "not found"), since a report is still worth
having from a machine without, say, QEMU.
"""
import glob
import os
import platform
import re
import shutil
import subprocess

# The source tree: bazel-bin/sandbox/sbx there is the normal build whatever ran last.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _first_line(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return "not found"
    return out.strip().splitlines()[0] if out.strip() else "not found"


def _mem_total():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    kib = int(line.split()[1])
                    return "%.1f GiB" % (kib / 1024 / 1024)
    except OSError:
        pass
    return "unknown"


def _kvm():
    if not os.path.exists("/dev/kvm"):
        return "no /dev/kvm"
    modules = []
    try:
        with open("/proc/modules") as f:
            modules = [l.split()[0] for l in f if l.startswith("kvm")]
    except OSError:
        pass
    return "/dev/kvm present; modules: %s" % (", ".join(sorted(modules)) or "none listed")


def dpkg_package_version(path):
    """'PACKAGE VERSION' of the Debian package that installed `path`, or ""."""
    try:
        owner = ""
        # The path as given, then resolved (dpkg may know a link's path, or only the target's).
        for candidate in dict.fromkeys([path, os.path.realpath(path)]):
            owner = owner or subprocess.run(["dpkg-query", "-S", candidate], capture_output=True,
                                            text=True, timeout=20).stdout
        package = owner.split(":", 1)[0].split(",")[0].strip() if owner else ""
        version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                                 capture_output=True, text=True, timeout=20).stdout if package \
            else ""
    except (OSError, subprocess.SubprocessError):
        return ""
    return "%s %s" % (package, version.strip()) if version.strip() else ""


def bazel_version(bazel):
    """`bazel --version`; where that says no_version (Debian's build), the package's."""
    line = _first_line([bazel, "--version"])
    if "no_version" not in line:
        return line
    package = dpkg_package_version(shutil.which(bazel) or bazel)
    return "%s (Debian package; the binary says no_version)" % package if package else line


def sbx_version(sbx, source_dir):
    """`sbx --version` of the binary the suites built, and the source's commit."""
    version = _first_line([sbx, "--version"]) if os.access(sbx, os.X_OK) else \
        "not built (%s)" % sbx
    commit = _first_line(["git", "-C", source_dir, "describe", "--always", "--dirty"])
    return "%s; source %s" % (version, commit) if commit != "not found" else version


def collect(vm_log_text=""):
    """An ordered list of (label, value)."""
    u = platform.uname()
    accel = sorted(set(re.findall(r"^vm: boot [0-9.]+ s \(.*; (\w+)\)$", vm_log_text, re.M)))
    guest = os.environ.get("SBX_VM_KERNEL") or ", ".join(
        sorted(os.path.basename(p) for p in glob.glob("/boot/vmlinuz-*"))) or "none in /boot"
    return [
        ("sbx", sbx_version(os.path.join(ROOT, "bazel-bin", "sandbox", "sbx"), ROOT)),
        ("host kernel", "%s %s %s" % (u.system, u.release, u.version)),
        ("architecture", u.machine),
        ("CPUs (nproc)", str(len(os.sched_getaffinity(0)))),
        ("memory", _mem_total()),
        ("KVM", _kvm()),
        ("VM accelerator used", ", ".join(accel) or "no VM boot in the logs"),
        ("QEMU", _first_line(["qemu-system-x86_64", "--version"])),
        ("guest kernels", guest),
        ("compiler", _first_line(["clang", "--version"])),
        ("Bazel", bazel_version(os.environ.get("BAZEL", "bazel").split()[0])),
        ("Python", platform.python_version()),
    ]
