#!/usr/bin/python3
"""vm/kernel.py: every compression a bzImage may use comes out as the PVH vmlinux, and so does
every kernel of the matrix that `./harness setup` fetched (a silent fallback to the bzImage
costs each VM test its in-guest decompression)."""
import glob
import lzma
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kernel  # noqa: E402

_KERNEL_CACHE = "/var/cache/sbx-kernels"


def _elf(with_pvh_note):
    """A 64-bit ELF header with one PT_NOTE segment holding a Xen note (PVH entry or not)."""
    note_type = 18 if with_pvh_note else 17
    note = struct.pack("<III", 4, 4, note_type) + b"Xen\0" + struct.pack("<I", 0x1000000)
    header = bytearray(64)
    header[:4] = b"\x7fELF"
    struct.pack_into("<Q", header, 0x20, 64)  # e_phoff
    struct.pack_into("<HH", header, 0x36, 56, 1)  # e_phentsize, e_phnum
    note_offset = 64 + 56
    phdr = struct.pack("<IIQQQQQQ", 4, 0, note_offset, 0, 0, len(note), len(note), 4)
    return bytes(header) + phdr + note + b"kernel text" * 100


def _compress(name, data):
    if name == "gzip":
        return zlib.compress(data, wbits=31)  # has its own size trailer
    size = struct.pack("<I", len(data))
    if name == "xz":
        return lzma.compress(data, format=lzma.FORMAT_XZ) + size
    tool = {"lz4": ["lz4", "-l", "-c1"], "zstd": ["zstd", "-19", "-c"]}[name]
    return subprocess.run(tool, input=data, stdout=subprocess.PIPE, check=True).stdout + size


def _bzimage(payload):
    """A bzImage with one setup sector, whose header points at `payload`, and trailing bytes
    after it as in a real bzImage."""
    image = bytearray(2 * 512)
    image[0x1f1] = 1
    image[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", image, 0x206, 0x20f)
    struct.pack_into("<II", image, 0x248, 64, len(payload))
    image += b"\0" * 64 + payload + b"trailing"
    return bytes(image)


class BootableTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        self.addCleanup(shutil.rmtree, self.dir)

    def _boot(self, image_bytes):
        path = os.path.join(self.dir, "vmlinuz")
        with open(path, "wb") as f:
            f.write(image_bytes)
        return path, kernel.bootable(path, self.dir)

    def test_each_compression_gives_the_pvh_vmlinux(self):
        elf = _elf(with_pvh_note=True)
        for name in ("gzip", "xz", "lz4", "zstd"):
            with self.subTest(name):
                _, (image, how) = self._boot(_bzimage(_compress(name, elf)))
                self.assertEqual(how, "vmlinux, PVH entry")
                with open(image, "rb") as f:
                    self.assertEqual(f.read(), elf)

    def test_without_pvh_note_the_bzimage_boots(self):
        path, (image, how) = self._boot(_bzimage(_compress("lz4", _elf(with_pvh_note=False))))
        self.assertEqual((image, how), (path, "bzImage (no PVH entry)"))

    def test_wrong_size_is_not_booted(self):
        payload = bytearray(_compress("zstd", _elf(with_pvh_note=True)))
        payload[-4:] = struct.pack("<I", 7)
        path, (image, how) = self._boot(_bzimage(bytes(payload)))
        self.assertEqual(image, path)
        self.assertIn("not 7", how)

    def test_cached_vmlinux_is_used_only_for_its_own_image(self):
        elf = _elf(with_pvh_note=True)
        path, _ = self._boot(_bzimage(_compress("gzip", elf)))
        self.assertEqual(kernel.cache_vmlinux(path), "vmlinux, PVH entry")
        cached = os.path.join(self.dir, "vmlinux")
        scratch = tempfile.mkdtemp(dir=self.dir)
        self.assertEqual(kernel.bootable(path, scratch),
                         (cached, "vmlinux, PVH entry (extracted at setup)"))
        with open(cached, "rb") as f:
            self.assertEqual(f.read(), elf)
        # A new image in the same place (another size) is extracted again, not the old one.
        other = _elf(with_pvh_note=True) + b"more text"
        with open(path, "wb") as f:
            f.write(_bzimage(_compress("gzip", other)))
        image, how = kernel.bootable(path, scratch)
        self.assertEqual((image, how), (os.path.join(scratch, "vmlinux"), "vmlinux, PVH entry"))
        with open(image, "rb") as f:
            self.assertEqual(f.read(), other)

    def test_matrix_kernels_boot_at_pvh_entry(self):
        kernels = sorted(glob.glob(os.path.join(_KERNEL_CACHE, "*", "vmlinuz")))
        if not kernels:
            self.skipTest(f"no kernel in {_KERNEL_CACHE} (./harness setup fetches them)")
        for path in kernels:
            with self.subTest(path):
                # The extraction itself, whether or not ./harness setup cached its result.
                _, how = kernel._extract(path, os.path.join(self.dir, "vmlinux"))
                self.assertEqual(how, "vmlinux, PVH entry")


if __name__ == "__main__":
    unittest.main()
