"""What the run ran on: host kernel, CPUs, memory, KVM, QEMU and the guest kernels.

Each item is best effort (a missing tool reads "not found"), since a report is still worth
having from a machine without, say, QEMU.
"""
import glob
import os
import platform
import re
import subprocess


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


def collect(vm_log_text=""):
    """An ordered list of (label, value)."""
    u = platform.uname()
    accel = sorted(set(re.findall(r"^vm: boot [0-9.]+ s \(.*; (\w+)\)$", vm_log_text, re.M)))
    guest = os.environ.get("SBX_VM_KERNEL") or ", ".join(
        sorted(os.path.basename(p) for p in glob.glob("/boot/vmlinuz-*"))) or "none in /boot"
    return [
        ("host kernel", "%s %s %s" % (u.system, u.release, u.version)),
        ("architecture", u.machine),
        ("CPUs (nproc)", str(len(os.sched_getaffinity(0)))),
        ("memory", _mem_total()),
        ("KVM", _kvm()),
        ("VM accelerator used", ", ".join(accel) or "no VM boot in the logs"),
        ("QEMU", _first_line(["qemu-system-x86_64", "--version"])),
        ("guest kernels", guest),
        ("compiler", _first_line(["clang", "--version"])),
        ("Bazel", _first_line([os.environ.get("BAZEL", "bazel").split()[0], "--version"])),
        ("Python", platform.python_version()),
    ]
