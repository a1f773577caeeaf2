"""Runs one test binary inside a QEMU VM and reports it to Bazel as if it had run on the host:
the guest's console goes to stdout (the test log), the gtest XML to $XML_OUTPUT_FILE, and the
test's exit status becomes ours.

Usage: run_vm.py --initramfs CPIO --binary GUEST_PATH [--user root|rootless]
                 [--kernel PATH [--kernel-name NAME]] -- [TEST_ARGS...]
--kernel-name is the kernel's name in vm/kernels.bzl; the guest test sees it as
SBX_GUEST_KERNEL, unless SBX_VM_KERNEL replaces the kernel.
Environment: SBX_VM_KERNEL (kernel image), SBX_VM_ACCEL (kvm|tcg), SBX_VM_MACHINE
(q35|microvm), LLVM_PROFILE_FILE (coverage runs: the guest writes its profiles under the same
name in /tmp/sbx-out/profiles, and they come back into that directory), and Bazel's TEST_TIMEOUT, TEST_TMPDIR, TEST_WORKSPACE, XML_OUTPUT_FILE,
TESTBRIDGE_TEST_ONLY.
"""

import argparse
import base64
import collections
import io
import os
import secrets
import select
import shlex
import subprocess
import sys
import tarfile
import tempfile
import time

import kernel
import newc

# Trimmed for boot time under TCG: no console chatter, no calibrations (TSC, delay loop,
# timer check), no crypto self-tests, no PS/2 probing; panic reboots, which -no-reboot
# turns into QEMU exiting.
_KERNEL_ARGS = ("console=ttyS0 quiet panic=-1 tsc=reliable no_timer_check lpj=8000000 "
                "cryptomgr.notests i8042.noaux i8042.nokbd")
_CONSOLE_TAIL = 30
_GUEST_OUTPUT = "/tmp/sbx-out/test.xml"
_GUEST_TMPDIR = "/tmp/sbx-test-tmp"
_GUEST_PROFILES = "/tmp/sbx-out/profiles"  # init.sh sends back what is there
# Host-side slack for booting, reporting and powering off around the guest's time limit.
_BOOT_ALLOWANCE_S = 60
_FORWARDED_PREFIXES = ("GTEST_", "SBX_")


def _parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--initramfs", required=True)
    parser.add_argument("--binary", required=True, help="the test's path inside the guest")
    parser.add_argument("--user", choices=("root", "rootless"), default="root")
    parser.add_argument("--kernel")
    parser.add_argument("--kernel-name")
    parser.add_argument("test_args", nargs="*")
    return parser.parse_args()


def _accel():
    """kvm or tcg: SBX_VM_ACCEL if set, else kvm only with a hardware KVM module and a usable
    /dev/kvm (a paravirtual KVM such as kvm_pvm hangs a stock guest kernel)."""
    forced = os.environ.get("SBX_VM_ACCEL")
    if forced:
        if forced not in ("kvm", "tcg"):
            raise SystemExit(f"vm: error: SBX_VM_ACCEL must be kvm or tcg, not {forced!r}")
        return forced
    if not any(os.path.isdir(f"/sys/module/{m}") for m in ("kvm_intel", "kvm_amd")):
        return "tcg"
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
    except OSError:
        return "tcg"
    return "kvm"


def _test_script(args):
    """The guest's /sbx/test.sh: the environment Bazel gives a test, then the test itself."""
    workspace = os.environ.get("TEST_WORKSPACE", "sbx")
    home = "/home/sbx" if args.user == "rootless" else "/root"
    env = {
        name: value
        for name, value in os.environ.items()
        if name == "TESTBRIDGE_TEST_ONLY"
        or (name.startswith(_FORWARDED_PREFIXES) and not name.startswith("SBX_VM_"))
    }
    # Host paths mean nothing in the guest; these replace any forwarded above.
    env.update({
        "HOME": home,
        "USER": "sbx" if args.user == "rootless" else "root",
        "TEST_SRCDIR": "/runfiles",
        "RUNFILES_DIR": "/runfiles",
        "TEST_WORKSPACE": workspace,
        "TEST_TMPDIR": _GUEST_TMPDIR,
        "GTEST_TMP_DIR": _GUEST_TMPDIR,
        # The guest console is a terminal, Bazel's test log is not: no colour codes in the log.
        "TERM": "dumb",
    })
    if args.kernel_name and not os.environ.get("SBX_VM_KERNEL"):
        env["SBX_GUEST_KERNEL"] = args.kernel_name
    profile = os.environ.get("LLVM_PROFILE_FILE")
    if profile:
        env["LLVM_PROFILE_FILE"] = f"{_GUEST_PROFILES}/{os.path.basename(profile)}"
    lines = [f"export {name}={shlex.quote(value)}" for name, value in sorted(env.items())]
    lines.append('mkdir -p "$TEST_TMPDIR"')
    if profile:
        lines.append(f"mkdir -p -m 1777 {_GUEST_PROFILES}")
    lines.append(f"cd /runfiles/{shlex.quote(workspace)}")
    command = [args.binary, *args.test_args, f"--gtest_output=xml:{_GUEST_OUTPUT}"]
    lines.append("exec " + " ".join(shlex.quote(word) for word in command))
    return "\n".join(lines) + "\n"


def _initrd(args, nonce, guest_timeout, scratch_dir):
    """The packed initramfs followed by this run's files; the kernel unpacks both in order."""
    run = newc.Archive()
    run.add_file("sbx/nonce", nonce.encode(), 0o600)
    run.add_file("sbx/config",
                 f"SBX_USER={args.user}\nSBX_GUEST_TIMEOUT={guest_timeout}\n".encode(), 0o644)
    run.add_file("sbx/test.sh", _test_script(args).encode(), 0o644)
    path = os.path.join(scratch_dir, "initrd.cpio")
    with open(path, "wb") as out, open(args.initramfs, "rb") as base:
        out.write(base.read())
        run.write(out)
    return path


def _host_tsc_khz(cpuinfo="/proc/cpuinfo", cpufreq="/sys/devices/system/cpu/cpu0/cpufreq"):
    """The host's TSC frequency in kHz, or None where /proc/cpuinfo may not tell it: a TSC
    that changes with the core's clock, or frequency scaling (then `cpu MHz` is the current
    clock, not the TSC's)."""
    if os.path.isdir(cpufreq):
        return None
    try:
        with open(cpuinfo) as f:
            lines = f.read(65536).splitlines()
    except OSError:
        return None
    flags = next((line.split(":", 1)[1].split() for line in lines if line.startswith("flags")),
                 [])
    mhz = next((line.split(":", 1)[1] for line in lines if line.startswith("cpu MHz")), None)
    if "constant_tsc" not in flags or mhz is None:
        return None
    try:
        return round(float(mhz) * 1000)
    except ValueError:
        return None


def _has_microvm():
    result = subprocess.run(["qemu-system-x86_64", "-machine", "help"], capture_output=True,
                            text=True)
    return any(line.split()[:1] == ["microvm"] for line in result.stdout.splitlines())


def _machine(accel):
    """(QEMU machine, extra kernel arguments, why), as measured under TCG (docs/vm.md):
    microvm, with no PCI bus and a minimal ACPI table set, boots faster than q35, but has no
    HPET or ACPI PM timer to calibrate the TSC against when quick PIT calibration fails, as
    it often does under TCG, and then the guest hangs. So the kernel is given the TSC
    frequency, which under TCG is the host's; where that is not known, or QEMU lacks microvm,
    q35.
    SBX_VM_MACHINE=q35|microvm forces one."""
    forced = os.environ.get("SBX_VM_MACHINE") or None
    if forced not in (None, "q35", "microvm"):
        raise SystemExit(f"vm: error: SBX_VM_MACHINE must be q35 or microvm, not {forced!r}")
    if forced == "q35" or (forced is None and accel == "kvm"):
        return "q35", "", "SBX_VM_MACHINE" if forced else "KVM"
    tsc_khz = _host_tsc_khz() if accel == "tcg" else None
    extra = f" tsc_early_khz={tsc_khz}" if tsc_khz else ""
    if forced == "microvm":
        return "microvm", extra, "SBX_VM_MACHINE"
    if tsc_khz is None:
        return "q35", "", "host TSC frequency unknown"
    if not _has_microvm():
        return "q35", "", "QEMU has no microvm"
    return "microvm", extra, f"host TSC {tsc_khz} kHz"


def _qemu_command(kernel_image, initrd, accel, machine, kernel_args):
    # One vCPU under TCG keeps each VM on one host core, so Bazel can run VMs side by side.
    cpu = ["-accel", "kvm", "-cpu", "host", "-smp", "2"] if accel == "kvm" else [
        "-accel", "tcg", "-cpu", "max", "-smp", "1"]
    return ["qemu-system-x86_64", "-nodefaults", "-no-user-config", "-display", "none",
            "-machine", machine, *cpu, "-m", "1G", "-kernel", kernel_image, "-initrd", initrd,
            "-append", kernel_args, "-serial", "stdio", "-no-reboot"]


class _Console:
    """Follows the guest's console: prints what the guest prints, takes out the report."""

    def __init__(self, nonce, accel, started):
        self._marker = f"SBX-{nonce}-"
        self._accel = accel
        self._started = started
        self._tail = collections.deque(maxlen=_CONSOLE_TAIL)
        self._xml_lines = None  # a list while inside the XML block
        self.xml = None
        self._profile_lines = None  # a list while inside the coverage profiles' block
        self.profiles = None
        self.exit_status = None

    def tail(self):
        return "\n".join(self._tail)

    def line(self, text):
        text = text.rstrip("\r")
        at = text.find(self._marker)
        before, report = (text, None) if at < 0 else (text[:at], text[at + len(self._marker):])
        if self._xml_lines is not None and report is None:
            self._xml_lines.append(text)
            return
        if self._profile_lines is not None and report is None:
            self._profile_lines.append(text)
            return
        if before:
            print(before, flush=True)
            self._tail.append(before)
        if report is not None:
            self._report(report)

    def _report(self, report):
        word, _, rest = report.partition(" ")
        if word == "RUN":
            boot = time.monotonic() - self._started
            uptime, _, release = rest.partition(" ")
            print(f"vm: boot {boot:.2f} s (QEMU start to the test's first line; guest kernel "
                  f"{release or '?'} up {uptime} s; {self._accel})", flush=True)
        elif word == "XML-BEGIN":
            self._xml_lines = []
        elif word == "XML-END" and self._xml_lines is not None:
            self.xml = base64.b64decode("".join(self._xml_lines))
            self._xml_lines = None
        elif word == "PROFILES-BEGIN":
            self._profile_lines = []
        elif word == "PROFILES-END" and self._profile_lines is not None:
            self.profiles = base64.b64decode("".join(self._profile_lines))
            self._profile_lines = None
        elif word == "EXIT":
            self.exit_status = int(rest)


def _follow(qemu, console, deadline):
    """Feeds the console line by line until QEMU exits; False if the deadline came first."""
    pending = b""
    fd = qemu.stdout.fileno()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            if pending:
                console.line(pending.decode(errors="replace"))
            return True
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            console.line(line.decode(errors="replace"))


def _fail(message, console):
    print(f"vm: error: {message}; last {_CONSOLE_TAIL} console lines:\n{console.tail()}",
          file=sys.stderr, flush=True)
    return 1


def main():
    args = _parse_args()
    host_budget = int(os.environ.get("TEST_TIMEOUT", "300")) - 5
    guest_timeout = max(host_budget - _BOOT_ALLOWANCE_S, 10)
    accel = _accel()
    kernel_path = kernel.choose(args.kernel)
    # The extracted kernel and the initrd are tens of MB per run: gone when the run is.
    with tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR")) as scratch_dir:
        kernel_image, booted_as = kernel.bootable(kernel_path, scratch_dir)
        nonce = secrets.token_hex(16)
        initrd = _initrd(args, nonce, guest_timeout, scratch_dir)
        machine, machine_args, why = _machine(accel)
        print(f"vm: {accel}, {machine} ({why}), kernel {kernel_path}{kernel.package(kernel_path)} "
              f"as {booted_as}, {args.user}, guest time limit {guest_timeout} s", flush=True)
        command = _qemu_command(kernel_image, initrd, accel, machine, _KERNEL_ARGS + machine_args)
        return _run(command, nonce, accel, host_budget)


def _run(command, nonce, accel, host_budget):
    """Boots the VM, follows its console and returns the test's exit status."""
    started = time.monotonic()
    qemu = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    console = _Console(nonce, accel, started)
    finished = _follow(qemu, console, started + host_budget)
    if not finished:
        qemu.kill()
    qemu.wait()
    if not finished:
        return _fail(f"no result within {host_budget} s (host time limit)", console)
    if console.exit_status is None:
        return _fail("the guest stopped without reporting the test's exit status (boot failure, "
                     f"kernel panic or QEMU error; QEMU exit status {qemu.returncode})", console)
    # GTEST_SHARD_* reach the guest, so gtest shards there; Bazel checks this file for that.
    if os.environ.get("TEST_SHARD_STATUS_FILE"):
        open(os.environ["TEST_SHARD_STATUS_FILE"], "a").close()
    xml_path = os.environ.get("XML_OUTPUT_FILE")
    if console.xml is not None and xml_path:
        with open(xml_path, "wb") as f:
            f.write(console.xml)
    if console.profiles is not None and os.environ.get("LLVM_PROFILE_FILE"):
        save_profiles(console.profiles, os.path.dirname(os.environ["LLVM_PROFILE_FILE"]))
    return console.exit_status


def save_profiles(archive, directory):
    """The guest's coverage profiles (a gzipped tar) into DIRECTORY/vm-TARGET-NONCE/: the
    same binary gives the same file name in every guest. Only plain .profraw files."""
    target = os.environ.get("TEST_TARGET", "vm").strip("/").replace("/", "_").replace(":", "_")
    into = tempfile.mkdtemp(prefix=f"vm-{target}-", dir=directory)
    os.chmod(into, 0o755)
    count = 0
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for member in tar:
            name = os.path.basename(member.name)
            if member.isfile() and name.endswith(".profraw"):
                with open(os.path.join(into, name), "wb") as f:
                    f.write(tar.extractfile(member).read())
                count += 1
    print(f"vm: {count} coverage profiles from the guest in {into}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
