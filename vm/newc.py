"""Writes cpio archives in the "newc" format the kernel unpacks as an initramfs.

Written here rather than with the cpio tool so every entry is owned by root with an exact
mode (newuidmap must be setuid root) whoever runs the build, and the archive is
byte-for-byte reproducible (inode numbers and times are fixed).
"""

import stat

_TRAILER = "TRAILER!!!"


class Archive:
    """Entries keyed by guest path; directories are added for every parent."""

    def __init__(self):
        self._entries = {}  # path -> (mode, data)

    def has(self, path):
        return path.strip("/") in self._entries

    def add_file(self, path, data, mode):
        self._add(path, stat.S_IFREG | mode, data)

    def add_symlink(self, path, target):
        self._add(path, stat.S_IFLNK | 0o777, target.encode())

    def add_dir(self, path, mode=0o755):
        self._add(path, stat.S_IFDIR | mode, b"")

    def _add(self, path, mode, data):
        name = path.strip("/")
        parts = name.split("/")
        for i in range(1, len(parts)):
            parent = "/".join(parts[:i])
            if parent not in self._entries:
                self._entries[parent] = (stat.S_IFDIR | 0o755, b"")
        self._entries[name] = (mode, data)

    def write(self, out):
        """Writes every entry, parents before children, then the trailer."""
        ino = 1
        for name in sorted(self._entries):
            mode, data = self._entries[name]
            _write_entry(out, name, mode, data, ino)
            ino += 1
        _write_entry(out, _TRAILER, 0, b"", 0)


def _write_entry(out, name, mode, data, ino):
    encoded = name.encode() + b"\0"
    nlink = 2 if stat.S_ISDIR(mode) else 1
    # magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
    # rdevmajor, rdevminor, namesize, check.
    fields = (ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(encoded), 0)
    out.write(b"070701" + b"".join(b"%08X" % f for f in fields))
    out.write(encoded)
    out.write(b"\0" * _pad(110 + len(encoded)))
    out.write(data)
    out.write(b"\0" * _pad(len(data)))


def _pad(n):
    return (4 - n % 4) % 4
