"""Packs the guest's initramfs: busybox with its applets, /init, setuid id-map helpers, the
test's runfiles, and the shared libraries every ELF file among them needs.

Usage: pack_initramfs.py --out FILE --init FILE --busybox FILE [--setuid FILE]...
                         [--manifest FILE]
The manifest has one `GUEST_PATH<TAB>HOST_PATH` line per file of the test's runfiles.
"""

import argparse
import os
import subprocess
import sys

import newc


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _is_elf(path):
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


def _shared_libraries(path):
    """Absolute paths of the libraries and loader that `path` needs, as ldd resolves them."""
    result = subprocess.run(
        ["ldd", path], capture_output=True, text=True, env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"}
    )
    if "not a dynamic executable" in result.stdout + result.stderr:
        return []
    if result.returncode != 0:
        sys.exit(f"pack_initramfs: ldd {path} failed: {result.stderr.strip()}")
    libs = []
    for line in result.stdout.splitlines():
        if "not found" in line:
            sys.exit(f"pack_initramfs: {path} needs a library ldd cannot find: {line.strip()}")
        # "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux... (0x...)"
        words = line.split()
        target = words[2] if len(words) > 2 and words[1] == "=>" else words[0]
        if target.startswith("/"):
            libs.append(target)
    return libs


# The guest has no modules. Without /sbin/modprobe the kernel's module requests fail at once;
# with busybox's, each runs a process that finds nothing: 0.4 s of a TCG boot, in the
# crypto self-test (crypto_kdf108_init) alone.
_NO_MODULE_TOOLS = {"sbin/modprobe", "sbin/insmod", "sbin/rmmod", "sbin/depmod"}


class _Packer:
    def __init__(self):
        self.archive = newc.Archive()
        # Libraries that come with the runfiles (Bazel's _solib_*) are found there by the
        # binary's $ORIGIN rpath; do not copy them again to their host path.
        self._runfiles = set()

    def add_elf_aware(self, guest, host, mode):
        self.archive.add_file(guest, _read(host), mode)
        if _is_elf(host):
            for lib in _shared_libraries(host):
                if os.path.realpath(lib) not in self._runfiles and not self.archive.has(lib):
                    self.archive.add_file(lib, _read(os.path.realpath(lib)), 0o755)

    def add_runfiles(self, manifest):
        entries = []
        with open(manifest) as f:
            for line in f:
                guest, host = line.rstrip("\n").split("\t")
                if os.path.isdir(host):
                    sys.exit(f"pack_initramfs: directories in runfiles are not supported: {host}")
                entries.append((guest, host))
                self._runfiles.add(os.path.realpath(host))
        for guest, host in entries:
            mode = 0o755 if os.access(host, os.X_OK) else 0o644
            self.add_elf_aware(guest, host, mode)

    def add_busybox(self, busybox):
        self.add_elf_aware("/bin/busybox", busybox, 0o755)
        applets = subprocess.run(
            [busybox, "--list-full"], capture_output=True, text=True, check=True
        ).stdout.split()
        for applet in applets:
            if applet in _NO_MODULE_TOOLS:
                continue
            if not self.archive.has(applet):
                self.archive.add_symlink(applet, "/bin/busybox")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--init", required=True)
    parser.add_argument("--busybox", required=True)
    parser.add_argument("--setuid", action="append", default=[])
    parser.add_argument("--manifest")
    args = parser.parse_args()

    packer = _Packer()
    for mount_point in ("dev", "proc", "sys", "tmp", "run", "root", "home", "etc"):
        packer.archive.add_dir(mount_point)
    if args.manifest:
        packer.add_runfiles(args.manifest)
    for helper in args.setuid:
        packer.add_elf_aware(helper, helper, 0o4755)
    packer.add_busybox(args.busybox)
    packer.archive.add_file("init", _read(args.init), 0o755)
    with open(args.out, "wb") as out:
        packer.archive.write(out)


if __name__ == "__main__":
    main()
