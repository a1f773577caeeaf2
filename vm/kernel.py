"""Chooses the guest kernel and makes it quick to boot.

Under TCG, decompressing a Debian bzImage inside the guest takes about 3 s, longer than the
whole rest of the boot. The host does it in under a second, and QEMU starts an uncompressed
vmlinux directly at its PVH entry point, skipping the firmware's real-mode boot as well.
"""

import glob
import lzma
import os
import re
import struct
import zlib

_XEN_ELFNOTE_PHYS32_ENTRY = 18  # the PVH entry point QEMU looks for
_ELF_MAGIC = b"\x7fELF"


def choose(configured):
    """SBX_VM_KERNEL, else the test's configured kernel, else the newest /boot/vmlinuz-*."""
    path = os.environ.get("SBX_VM_KERNEL") or configured
    if path:
        if not os.path.isfile(path):
            raise SystemExit(f"vm: error: kernel {path} does not exist (the kernels of "
                             "vm/kernels.bzl come with `./harness setup`)")
        return path
    found = sorted(glob.glob("/boot/vmlinuz-*"), key=_version_key)
    if not found:
        raise SystemExit("vm: error: no /boot/vmlinuz-* (install linux-image-amd64) and no "
                         "SBX_VM_KERNEL")
    return found[-1]


def package(path):
    """` (PACKAGE VERSION)` for a kernel that vm/fetch_kernels.py unpacked, else ""."""
    try:
        with open(os.path.join(os.path.dirname(path), "package")) as f:
            return f" ({f.read().strip()})"
    except OSError:
        return ""


def _version_key(path):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path)]


def bootable(path, scratch_dir):
    """The image to pass to -kernel: a PVH-capable vmlinux if one can be had, else `path`."""
    with open(path, "rb") as f:
        image = f.read()
    if image.startswith(_ELF_MAGIC):
        return path
    elf = _decompressed_payload(image)
    if elf is None or not _has_pvh_note(elf):
        return path
    out = os.path.join(scratch_dir, "vmlinux")
    with open(out, "wb") as f:
        f.write(elf)
    return out


def _decompressed_payload(image):
    """The ELF kernel inside a bzImage compressed with xz or gzip, or None."""
    for magic, decompress in ((b"\xfd7zXZ\x00", _unxz), (b"\x1f\x8b\x08", _gunzip)):
        start = image.find(magic)
        if start < 0:
            continue
        try:
            payload = decompress(image[start:])
        except (lzma.LZMAError, zlib.error):
            continue
        if payload.startswith(_ELF_MAGIC):
            return payload
    return None


# The bzImage has bytes after the compressed stream, which the one-shot functions reject.
def _unxz(data):
    return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data)


def _gunzip(data):
    return zlib.decompressobj(wbits=31).decompress(data)


def _has_pvh_note(elf):
    """Whether a 64-bit little-endian ELF has the Xen PVH entry note in a PT_NOTE segment."""
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", elf,
                                                                 phoff + i * phentsize)
        if p_type == 4 and _notes_contain(elf[p_offset:p_offset + p_filesz]):
            return True
    return False


def _notes_contain(notes):
    offset = 0
    while offset + 12 <= len(notes):
        namesz, descsz, note_type = struct.unpack_from("<III", notes, offset)
        name = notes[offset + 12:offset + 12 + namesz].rstrip(b"\0")
        if name == b"Xen" and note_type == _XEN_ELFNOTE_PHYS32_ENTRY:
            return True
        offset += 12 + _align4(namesz) + _align4(descsz)
    return False


def _align4(n):
    return (n + 3) & ~3
