"""Fetches the guest kernels of vm/kernels.bzl from Debian's archive into the kernel cache.

Usage: fetch_kernels.py [--refresh] [--cache DIR] [NAME...]

For each kernel: `apt-get download` of the newest image package matching its pattern, then
the image and its config out of the .deb (`dpkg-deb --fsys-tarfile`, no modules) into
CACHE/NAME/{vmlinuz,config,package}, and the uncompressed kernel that VMs boot at its PVH
entry beside it (vmlinux, vmlinux.source; vm/kernel.py). Nothing is installed on the host,
and the host's apt configuration is left alone: apt runs with its own sources list and
package lists under CACHE/apt. A kernel already in the cache is kept without asking the
network (idempotent); --refresh looks for a newer package.
"""

import argparse
import ast
import fcntl
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tempfile

import kernel

_HERE = os.path.dirname(os.path.abspath(__file__))
_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
_MIRROR = "http://deb.debian.org/debian"
_SECURITY_MIRROR = "http://deb.debian.org/debian-security"


def read_table(path=os.path.join(_HERE, "kernels.bzl")):
    """The literal assignments of kernels.bzl (Starlark literals are Python literals)."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    return {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }


class _Apt:
    """apt-get and apt-cache on a private state: the host's sources and lists stay as they are."""

    def __init__(self, root, suites):
        self._root = root
        lists = os.path.join(root, "lists")
        os.makedirs(os.path.join(lists, "partial"), exist_ok=True)
        os.makedirs(os.path.join(root, "cache", "archives", "partial"), exist_ok=True)
        sources = os.path.join(root, "sources.list")
        with open(sources, "w") as f:
            for suite in suites:
                mirror = _SECURITY_MIRROR if suite.endswith("-security") else _MIRROR
                f.write(f"deb [signed-by={_KEYRING}] {mirror} {suite} main\n")
        self._options = []
        for key, value in (("Dir::Etc::SourceList", sources), ("Dir::Etc::SourceParts", "/dev/null"),
                           ("Dir::State::Lists", lists), ("Dir::Cache", os.path.join(root, "cache")),
                           ("Dir::State::status", "/dev/null"), ("APT::Sandbox::User", "root")):
            self._options += ["-o", f"{key}={value}"]
        self._updated = False

    def _run(self, tool, *args, cwd=None):
        result = subprocess.run([tool, *self._options, *args], cwd=cwd, capture_output=True,
                                text=True, env={**os.environ, "LC_ALL": "C"})
        if result.returncode != 0:
            sys.exit(f"fetch_kernels: {tool} {' '.join(args)} failed:\n{result.stderr.strip()}")
        return result.stdout

    def newest(self, pattern):
        if not self._updated:
            self._run("apt-get", "update", "-qq")
            self._updated = True
        prefix = pattern.split("*")[0]
        newest = newest_matching(self._run("apt-cache", "pkgnames", prefix).split(), pattern)
        if newest is None:
            sys.exit(f"fetch_kernels: no package matches {pattern} in {self._root}/sources.list")
        return newest

    def download(self, package, into):
        self._run("apt-get", "download", "-qq", package, cwd=into)
        (deb,) = [f for f in os.listdir(into) if f.endswith(".deb")]
        return os.path.join(into, deb)


def newest_matching(names, pattern):
    """The name matching the shell pattern with the highest version numbers, or None."""
    matching = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
    return max(matching, key=_natural_key) if matching else None


def _natural_key(name):
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", name)]


def _unpack(deb, package, destination):
    """vmlinuz and config out of the .deb into `destination`, replaced as a whole."""
    parent = os.path.dirname(destination)
    staging = tempfile.mkdtemp(dir=parent, prefix=".staging-")
    os.chmod(staging, 0o755)
    try:
        tar = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", staging, "--wildcards", "./boot/vmlinuz-*",
                        "./boot/config-*"], stdin=tar.stdout, check=True)
        tar.stdout.close()
        if tar.wait() != 0:
            sys.exit(f"fetch_kernels: dpkg-deb --fsys-tarfile {deb} failed")
        boot = os.path.join(staging, "boot")
        for entry in os.listdir(boot):
            kind = entry.split("-")[0]  # vmlinuz or config
            os.rename(os.path.join(boot, entry), os.path.join(staging, kind))
        os.rmdir(boot)
        version = subprocess.run(["dpkg-deb", "-f", deb, "Version"], capture_output=True,
                                 text=True, check=True).stdout.strip()
        with open(os.path.join(staging, "package"), "w") as f:
            f.write(f"{package} {version}\n")
        if os.path.isdir(destination):
            shutil.rmtree(destination)
        os.rename(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def main():
    table = read_table()
    kernels = table["GUEST_KERNELS"]
    parser = argparse.ArgumentParser()
    parser.add_argument("--refresh", action="store_true")
    parser.add_argument("--cache", default=table["KERNEL_CACHE"])
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(kernels))
    args = parser.parse_args()
    for name in args.names:
        if name not in kernels:
            parser.error(f"unknown kernel {name}; vm/kernels.bzl has {', '.join(kernels)}")
    names = args.names or sorted(kernels, key=_natural_key)

    os.makedirs(args.cache, exist_ok=True)
    with open(os.path.join(args.cache, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one fetch at a time per machine
        wanted = [n for n in names
                  if args.refresh or not os.path.isfile(os.path.join(args.cache, n, "vmlinuz"))]
        if wanted:
            _fetch(wanted, kernels, args.cache)
        # Every VM test would otherwise extract its kernel again (vm/kernel.py).
        for name in names:
            vmlinuz = os.path.join(args.cache, name, "vmlinuz")
            if os.path.isfile(vmlinuz) and not kernel.is_cached(vmlinuz):
                print(f"fetch_kernels: {name}: {kernel.cache_vmlinux(vmlinuz)}", flush=True)


def _fetch(wanted, kernels, cache):
    suites = sorted({s for n in wanted for s in kernels[n]["suites"]})
    apt = _Apt(os.path.join(cache, "apt"), suites)
    for name in wanted:
        package = apt.newest(kernels[name]["package"])
        destination = os.path.join(cache, name)
        current = os.path.join(destination, "package")
        if os.path.isfile(current) and open(current).read().split()[0] == package:
            continue
        print(f"fetch_kernels: {name}: {package}", flush=True)
        with tempfile.TemporaryDirectory(dir=cache, prefix=".download-") as download:
            _unpack(apt.download(package, download), package, destination)


if __name__ == "__main__":
    main()
