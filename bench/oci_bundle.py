#!/usr/bin/env python3
"""Writes an OCI bundle whose isolation matches the sandbox start's, for `crun run`.

New user, pid, mount, ipc, uts and network namespaces; uid 1000 and gid 100 inside, mapped to
the caller's ids; hostname localhost; a read-only rootfs with read-only binds of /usr and the
merged-usr links (/bin, /lib, /lib64) so /bin/true runs, a fresh /proc and a minimal /dev. No cgroup
namespace and no cgroup settings: the host's cgroups (v1 here) must not be touched.
"""

import argparse
import json
import os


def top_level_entries():
    """(mounts, symlinks) for /usr, /bin, /lib, /lib64: binds for directories, links for the
    merged-usr symlinks, so the rootfs looks like the host's."""
    mounts, links = [], []
    for path in ("/usr", "/bin", "/lib", "/lib64"):
        if not os.path.lexists(path):
            continue
        if os.path.islink(path):
            links.append((path, os.readlink(path)))
        else:
            mounts.append({"destination": path, "type": "bind", "source": path,
                           "options": ["rbind", "ro", "nosuid", "nodev"]})
    return mounts, links


def config(argv, uid, gid):
    mounts, _ = top_level_entries()
    return {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": False,
            "user": {"uid": 1000, "gid": 100},
            "args": argv,
            "env": ["PATH=/usr/bin:/bin"],
            "cwd": "/",
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": True},
        "hostname": "localhost",
        # A fresh /proc and a minimal /dev, as bwrap's --proc and --dev give.
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "mode=755", "size=64k"]},
        ] + mounts,
        "linux": {
            "uidMappings": [{"containerID": 1000, "hostID": uid, "size": 1}],
            "gidMappings": [{"containerID": 100, "hostID": gid, "size": 1}],
            "namespaces": [{"type": t} for t in
                           ("user", "pid", "mount", "ipc", "uts", "network")],
        },
    }


def write_bundle(bundle, argv):
    rootfs = os.path.join(bundle, "rootfs")
    os.makedirs(rootfs, exist_ok=True)
    mounts, links = top_level_entries()
    for m in mounts:
        os.makedirs(rootfs + m["destination"], exist_ok=True)
    for d in ("proc", "dev"):
        os.makedirs(os.path.join(rootfs, d), exist_ok=True)
    for path, target in links:
        link = rootfs + path
        if not os.path.lexists(link):
            os.symlink(target, link)
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(config(argv, os.getuid(), os.getgid()), f, indent=2)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("bundle", help="directory to write config.json and rootfs/ into")
    parser.add_argument("argv", nargs="+", help="the command to run in the container")
    args = parser.parse_args()
    write_bundle(args.bundle, args.argv)


if __name__ == "__main__":
    main()
