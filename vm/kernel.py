"""Chooses the guest kernel and makes it quick to boot.

Under TCG, decompressing a Debian bzImage inside the guest costs 0.5-3 s of CPU (LZ4 to xz).
The host does it instead, once at setup (vm/fetch_kernels.py) or else per run, and QEMU
starts the uncompressed vmlinux directly at its PVH entry point, skipping the firmware's
real-mode boot as well. The bzImage's setup header says
where its compressed payload is; gzip and xz are undone here, LZ4 (Debian's cloud kernels up
to 6.1) and zstd (6.12) by Debian's `lz4` and `zstd` tools.
"""

import glob
import lzma
import os
import re
import shutil
import struct
import subprocess
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
    """(image, how): the image to pass to -kernel, a PVH-capable vmlinux if one can be had,
    else `path`; `how` says which, and why not PVH, for the test log. A vmlinux that
    `cache_vmlinux` left beside `path` is used as it is; else it is extracted into
    `scratch_dir` (2-4 s of host time per run under load, for the matrix's kernels)."""
    cached = _cached_vmlinux(path)
    if cached:
        return cached, "vmlinux, PVH entry (extracted at setup)"
    return _extract(path, os.path.join(scratch_dir, "vmlinux"))


def cache_vmlinux(path):
    """Extracts the PVH vmlinux of `path` beside it (`vmlinux`, and `vmlinux.source` naming
    the image it came from), unless it is there already; returns what `bootable` will say."""
    if _cached_vmlinux(path):
        return "vmlinux, PVH entry (extracted at setup)"
    directory = os.path.dirname(os.path.abspath(path))
    staging = os.path.join(directory, ".vmlinux.staging")
    image, how = _extract(path, staging)
    if image != staging:
        return how
    with open(staging + ".source", "w") as f:
        f.write(_source_stamp(path))
    os.replace(staging, os.path.join(directory, _CACHED))
    os.replace(staging + ".source", os.path.join(directory, _CACHED + ".source"))
    return how


_CACHED = "vmlinux"


def _source_stamp(path):
    st = os.stat(path)
    return f"{os.path.basename(path)} {st.st_size} {st.st_mtime_ns}\n"


def is_cached(path):
    return _cached_vmlinux(path) is not None


def _cached_vmlinux(path):
    """The vmlinux beside `path` if it was extracted from this very file, else None."""
    cached = os.path.join(os.path.dirname(os.path.abspath(path)), _CACHED)
    try:
        with open(cached + ".source") as f:
            fresh = f.read() == _source_stamp(path) and os.path.isfile(cached)
    except OSError:
        return None
    return cached if fresh else None


def _extract(path, out):
    """(out, how) with the PVH vmlinux of `path` written to `out`, or (path, why not)."""
    with open(path, "rb") as f:
        image = f.read()
    if image.startswith(_ELF_MAGIC):
        return path, "ELF" + (", PVH entry" if _has_pvh_note(image) else "")
    payload = _payload(image)
    if payload is None:
        return path, "bzImage (no compressed payload found)"
    elf, why_not = _decompress(payload)
    if elf is None:
        return path, f"bzImage ({why_not})"
    if not elf.startswith(_ELF_MAGIC) or not _has_pvh_note(elf):
        return path, "bzImage (no PVH entry)"
    with open(out, "wb") as f:
        f.write(elf)
    return out, "vmlinux, PVH entry"


def _payload(image):
    """The compressed kernel of a bzImage, from the setup header's payload_offset and
    payload_length (boot protocol 2.08 and later), or None."""
    if len(image) < 0x250 or image[0x202:0x206] != b"HdrS":
        return None
    version, = struct.unpack_from("<H", image, 0x206)
    if version < 0x208:
        return None
    setup_sectors = image[0x1f1] or 4
    offset, length = struct.unpack_from("<II", image, 0x248)
    start = (setup_sectors + 1) * 512 + offset
    if length < 8 or start + length > len(image):
        return None
    return image[start:start + length]


# Every payload ends in the uncompressed size (le32): gzip's own trailer, appended by the
# kernel's build for the others. Python's decompressors stop at the end of the stream; the
# tools reject the size as trailing garbage, so they do not get it.
_DECOMPRESSORS = (
    (b"\x1f\x8b", "gzip", lambda data: zlib.decompressobj(wbits=31).decompress(data)),
    (b"\xfd7zXZ\x00", "xz",
     lambda data: lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data)),
    (b"\x02\x21\x4c\x18", "lz4", lambda data: _tool(["lz4", "-dcq"], data[:-4])),
    (b"\x28\xb5\x2f\xfd", "zstd", lambda data: _tool(["zstd", "-dcq"], data[:-4])),
)


def _decompress(payload):
    """(ELF bytes, None) or (None, why not)."""
    size, = struct.unpack_from("<I", payload, len(payload) - 4)
    for magic, name, decompress in _DECOMPRESSORS:
        if not payload.startswith(magic):
            continue
        try:
            elf = decompress(payload)
        except (lzma.LZMAError, zlib.error, OSError, subprocess.CalledProcessError) as e:
            return None, f"{name} payload: {e}"
        if elf is None:
            return None, f"{name} payload, no `{name}` tool (Debian package {name})"
        if len(elf) != size:
            return None, f"{name} payload gave {len(elf)} bytes, not {size}"
        return elf, None
    return None, f"unknown compression {payload[:4].hex()}"


def _tool(command, data):
    """The output of a decompressing tool fed `data`, or None if the tool is not installed."""
    if shutil.which(command[0]) is None:
        return None
    return subprocess.run(command, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          check=True).stdout


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
