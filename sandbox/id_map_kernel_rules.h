// The kernel's verdict on one write(2) of raw bytes, at offset 0, to /proc/PID/uid_map or
// /proc/PID/gid_map of a fresh user namespace whose parent is the initial namespace
// (kernel/user_namespace.c, map_write, Linux 4.15 .. 6.x). Written from the documented and
// observed behaviour; the agreement test holds it to the running kernel.
//
// Rules, in the order the kernel applies them (the first broken one decides the errno):
//  1. size: the write must be shorter than a page (4096 bytes), else EINVAL;
//  2. the kernel reads the bytes as a C string: everything from the first NUL on is ignored;
//  3. the text is split at '\n'; a single '\n' at the very end ends the last line, any other
//     empty line is an error; each line is: optional white space, three fields separated by
//     white space, optional trailing white space. White space is the kernel's isspace():
//     '\t' '\n' '\v' '\f' '\r' ' ' and 0xA0;
//  4. a field is decimal digits only (no sign, no "0x"); leading zeros are fine; a value that
//     does not fit wraps modulo 2^32 (the kernel parses into 64 bits ignoring overflow and
//     stores 32); an empty field reads as 0;
//  5. inside and outside 4294967295 are invalid; count must be > 0 and first+count must not
//     wrap past 2^32-1 on either side; no extent may overlap an earlier one on either side;
//  6. at most 340 extents;
//  all of the above are EINVAL;
//  7. permission (EPERM): a privileged writer (CAP_SETUID/CAP_SETGID and CAP_SETFCAP over the
//     parent namespace, e.g. root of the initial namespace) may write any valid map; an
//     unprivileged writer (owner of the namespace, no capabilities in the parent) may write
//     exactly one extent of count 1 whose outside id is its own effective uid (uid_map) or
//     effective gid (gid_map, and only once "deny" was written to setgroups); an unprivileged
//     writer may never map outside uid 0 (that needs CAP_SETFCAP).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sandbox/id_map.h"

namespace sbx {

inline constexpr size_t kKernelPageSize = 4096;
inline constexpr size_t kKernelMaxExtents = 340;

enum class MapKind { kUid, kGid };

struct MapWriter {
  // Holds CAP_SETUID/CAP_SETGID/CAP_SETFCAP over the parent namespace (root of the initial
  // namespace). When false, the writer is the namespace's owner with no such capabilities.
  bool privileged = true;
  uint32_t euid = 0;
  uint32_t egid = 0;
  // Whether "deny" was written to /proc/PID/setgroups before gid_map.
  bool setgroups_denied = false;
};

struct MapVerdict {
  bool accepted = false;
  IdMap extents;         // on acceptance: the extents in input order
  int error_number = 0;  // on rejection: EINVAL or EPERM, as write(2) would fail
  std::string reason;    // on rejection: the rule broken, with line number where it applies
};

// The kernel's white-space test (lib/ctype.c's isspace, which includes 0xA0).
bool KernelIsSpace(unsigned char c);

// Decides as the kernel does for one write of `bytes` at offset 0.
MapVerdict CheckMapWrite(std::string_view bytes, MapKind kind, const MapWriter& writer);

}  // namespace sbx
