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
//
// Around one write, the namespace's state (UsernsFiles, ApplyUsernsWrite): each map takes one
// successful write, later ones fail with EPERM (after the size check); setgroups takes
// "allow" or "deny" (spec 23), "deny" not once gid_map is written, "allow" not once denied;
// and what /proc/PID/uid_map, gid_map and setgroups then read, byte for byte (KernelFileText).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sandbox/rules/id_map.h"

namespace sbx {

inline constexpr size_t kKernelPageSize = 4096;
inline constexpr size_t kKernelMaxExtents = 340;
// Up to this many extents the kernel keeps a map as written and lists it in write order;
// a larger map is kept sorted by inside id, and listed so (UID_GID_MAP_MAX_BASE_EXTENTS).
inline constexpr size_t kMaxBaseExtents = 5;
// A write to setgroups must be shorter than the kernel's 8-byte buffer.
inline constexpr size_t kSetgroupsBufferSize = 8;

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

// The extents in the order /proc/PID/uid_map lists them: as written up to kMaxBaseExtents,
// sorted by inside id beyond.
IdMap KernelListOrder(IdMap extents);

// The exact text of /proc/PID/uid_map (or gid_map) holding `extents`, read from the parent
// namespace or from the namespace itself: "%10u %10u %10u\n" per extent, in list order.
std::string KernelMapText(const IdMap& extents);

// The files of a fresh user namespace whose parent is the initial namespace, as the kernel
// keeps them. Both writers this models (root of the initial namespace, the namespace's owner)
// hold CAP_SYS_ADMIN over it, so opening and writing setgroups is never refused for lack of it.
struct UsernsFiles {
  std::optional<IdMap> uid_map;  // nullopt until a write succeeds
  std::optional<IdMap> gid_map;
  bool setgroups_allowed = true;  // the namespace starts with "allow"
};

enum class UsernsFile { kUidMap, kGidMap, kSetgroups };

const char* UsernsFileName(UsernsFile file);

struct WriteVerdict {
  bool accepted = false;
  int error_number = 0;  // on rejection: EINVAL or EPERM
  std::string reason;
};

// The kernel's verdict on one write(2) of `bytes`, at offset 0 of a freshly opened file, to
// `file` of `ns` by `writer` (whose setgroups_denied is ignored: `ns` says). On acceptance
// `ns` changes as the kernel's namespace does.
WriteVerdict ApplyUsernsWrite(UsernsFiles& ns, UsernsFile file, std::string_view bytes,
                              const MapWriter& writer);

// What reading `file` of `ns` returns, byte for byte ("" for an unwritten map,
// "allow\n" or "deny\n" for setgroups).
std::string KernelFileText(const UsernsFiles& ns, UsernsFile file);

}  // namespace sbx
