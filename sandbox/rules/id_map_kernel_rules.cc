#include "sandbox/rules/id_map_kernel_rules.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>

namespace sbx {
namespace {

constexpr uint32_t kInvalidId = 0xFFFFFFFFu;

// One field of a line: the kernel takes the longest run of decimal digits (possibly empty,
// reading as 0) and keeps the value modulo 2^32.
struct Field {
  uint32_t value = 0;
  size_t end = 0;  // index just past the digits
};

Field ParseDigits(std::string_view line, size_t pos) {
  Field field;
  while (pos < line.size() && line[pos] >= '0' && line[pos] <= '9') {
    field.value = field.value * 10u + static_cast<uint32_t>(line[pos] - '0');  // wraps mod 2^32
    ++pos;
  }
  field.end = pos;
  return field;
}

size_t SkipSpaces(std::string_view line, size_t pos) {
  while (pos < line.size() && KernelIsSpace(static_cast<unsigned char>(line[pos]))) ++pos;
  return pos;
}

bool SpaceAt(std::string_view line, size_t pos) {
  return pos < line.size() && KernelIsSpace(static_cast<unsigned char>(line[pos]));
}

// Inclusive ranges [a, a+n-1] and [b, b+m-1], none wrapping (checked before).
bool Overlaps(uint32_t a, uint32_t n, uint32_t b, uint32_t m) {
  uint64_t a_last = uint64_t{a} + n - 1;
  uint64_t b_last = uint64_t{b} + m - 1;
  return a <= b_last && b <= a_last;
}

// Earlier extents' ranges on one side (inside or outside ids), kept sorted by first id.
// They are pairwise disjoint (an overlapping extent is rejected before it is added), so
// their last ids are sorted too, and the ones a new range can overlap are found by binary
// search. The answer is that of comparing with every earlier extent in turn (as the kernel
// does), which costs 58 000 comparisons per side for 340 extents, and is what made the
// fuzzers slow.
class SortedRanges {
 public:
  static constexpr size_t kNone = static_cast<size_t>(-1);

  // The smallest index of an earlier extent whose range Overlaps [first, first+count-1],
  // or kNone.
  size_t FirstOverlap(uint32_t first, uint32_t count) const {
    uint64_t last = uint64_t{first} + count - 1;
    const Range* begin = ranges_.data();
    const Range* end = begin + size_;
    const Range* it = std::partition_point(
        begin, end, [first](const Range& r) { return uint64_t{r.first} + r.count - 1 < first; });
    size_t found = kNone;
    for (; it != end && it->first <= last; ++it) {
      if (Overlaps(it->first, it->count, first, count)) found = std::min(found, it->index);
    }
    return found;
  }

  void Add(uint32_t first, uint32_t count, size_t index) {
    Range* begin = ranges_.data();
    Range* at = std::upper_bound(begin, begin + size_, first,
                                 [](uint32_t id, const Range& r) { return id < r.first; });
    std::copy_backward(at, begin + size_, begin + size_ + 1);
    *at = Range{first, count, index};
    ++size_;
  }

 private:
  struct Range {
    uint32_t first;
    uint32_t count;
    size_t index;
  };
  std::array<Range, kKernelMaxExtents> ranges_;
  size_t size_ = 0;
};

MapVerdict Reject(int error_number, std::string reason) {
  MapVerdict verdict;
  verdict.error_number = error_number;
  verdict.reason = std::move(reason) + (error_number == EPERM ? " (EPERM)" : " (EINVAL)");
  return verdict;
}

std::string LineTag(size_t line_number) { return "line " + std::to_string(line_number) + ": "; }

}  // namespace

bool KernelIsSpace(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xA0; }

MapVerdict CheckMapWrite(std::string_view bytes, MapKind kind, const MapWriter& writer) {
  if (bytes.size() >= kKernelPageSize) {
    return Reject(EINVAL, "write of " + std::to_string(bytes.size()) +
                              " bytes is not shorter than a page (" +
                              std::to_string(kKernelPageSize) + " bytes)");
  }
  // The kernel works on a NUL-terminated copy: bytes from the first NUL on are never seen.
  std::string_view text = bytes.substr(0, bytes.find('\0'));

  // Parsed on the stack, copied to the heap only on acceptance: a rejection (most of what
  // the fuzzers try) allocates no extents, and an acceptance allocates them once. Under ASan
  // each allocation is filled and quarantined; the vector's doublings were the largest cost
  // in the fuzzers after the overlap scan.
  std::array<IdExtent, kKernelMaxExtents> extents;
  size_t extent_count = 0;
  SortedRanges by_inside, by_outside;
  size_t line_start = 0;
  for (size_t line_number = 1;; ++line_number) {
    size_t newline = text.find('\n', line_start);
    std::string_view line = newline == std::string_view::npos
                                ? text.substr(line_start)
                                : text.substr(line_start, newline - line_start);
    // A '\n' that is the last byte ends the text; any other '\n' starts another line.
    bool more_lines = newline != std::string_view::npos && newline + 1 < text.size();
    // Built only for a rejection: a string per accepted line is measurable in the fuzzers.
    auto tag = [line_number] { return LineTag(line_number); };

    size_t pos = SkipSpaces(line, 0);
    if (pos == line.size()) return Reject(EINVAL, tag() + "empty line");
    Field inside = ParseDigits(line, pos);
    if (!SpaceAt(line, inside.end)) {
      return Reject(EINVAL, tag() + "inside id is not decimal digits followed by white space");
    }
    pos = SkipSpaces(line, inside.end);
    Field outside = ParseDigits(line, pos);
    if (!SpaceAt(line, outside.end)) {
      return Reject(EINVAL, tag() + "outside id is not decimal digits followed by white space");
    }
    pos = SkipSpaces(line, outside.end);
    Field count = ParseDigits(line, pos);
    if (count.end < line.size() && !SpaceAt(line, count.end)) {
      return Reject(EINVAL, tag() + "count is not decimal digits");
    }
    if (SkipSpaces(line, count.end) != line.size()) {
      return Reject(EINVAL, tag() + "trailing junk after the count");
    }

    IdExtent extent{inside.value, outside.value, count.value};
    if (extent.inside == kInvalidId)
      return Reject(EINVAL, tag() + "inside id 4294967295 is invalid");
    if (extent.outside == kInvalidId) {
      return Reject(EINVAL, tag() + "outside id 4294967295 is invalid");
    }
    if (extent.count == 0) return Reject(EINVAL, tag() + "count is zero");
    if (uint64_t{extent.inside} + extent.count > kInvalidId) {
      return Reject(EINVAL, tag() + "inside range wraps past 4294967294");
    }
    if (uint64_t{extent.outside} + extent.count > kInvalidId) {
      return Reject(EINVAL, tag() + "outside range wraps past 4294967294");
    }
    // The first earlier extent that overlaps on either side is named, inside before outside.
    size_t inside_clash = by_inside.FirstOverlap(extent.inside, extent.count);
    size_t outside_clash = by_outside.FirstOverlap(extent.outside, extent.count);
    if (inside_clash != SortedRanges::kNone && inside_clash <= outside_clash) {
      return Reject(EINVAL, tag() + "inside range overlaps the extent on line " +
                                std::to_string(inside_clash + 1));
    }
    if (outside_clash != SortedRanges::kNone) {
      return Reject(EINVAL, tag() + "outside range overlaps the extent on line " +
                                std::to_string(outside_clash + 1));
    }
    if (extent_count + 1 == kKernelMaxExtents && more_lines) {
      return Reject(EINVAL, "more than " + std::to_string(kKernelMaxExtents) + " extents");
    }
    by_inside.Add(extent.inside, extent.count, extent_count);
    by_outside.Add(extent.outside, extent.count, extent_count);
    extents[extent_count++] = extent;
    if (!more_lines) break;
    line_start = newline + 1;
  }

  if (!writer.privileged) {
    const char* file = kind == MapKind::kUid ? "uid_map" : "gid_map";
    uint32_t own = kind == MapKind::kUid ? writer.euid : writer.egid;
    const char* own_name = kind == MapKind::kUid ? "effective uid" : "effective gid";
    if (extent_count != 1 || extents[0].count != 1) {
      return Reject(
          EPERM,
          std::string("an unprivileged writer may write only one extent of count 1 to ") + file);
    }
    if (extents[0].outside != own) {
      return Reject(EPERM, "an unprivileged writer may map only its own " + std::string(own_name) +
                               " (" + std::to_string(own) + "), not " +
                               std::to_string(extents[0].outside));
    }
    if (kind == MapKind::kUid && extents[0].outside == 0) {
      return Reject(EPERM, "mapping outside uid 0 needs CAP_SETFCAP over the parent namespace");
    }
    if (kind == MapKind::kGid && !writer.setgroups_denied) {
      return Reject(EPERM,
                    "an unprivileged writer may write gid_map only after \"deny\" in setgroups");
    }
  }

  MapVerdict verdict;
  verdict.accepted = true;
  verdict.extents.assign(extents.begin(), extents.begin() + extent_count);
  return verdict;
}

// Beyond one write's verdict: list order, file texts, the namespace's state.

IdMap KernelListOrder(IdMap extents) {
  if (extents.size() > kMaxBaseExtents) {
    std::sort(extents.begin(), extents.end(),
              [](const IdExtent& a, const IdExtent& b) { return a.inside < b.inside; });
  }
  return extents;
}

std::string KernelMapText(const IdMap& extents) {
  std::string text;
  for (const IdExtent& e : KernelListOrder(extents)) {
    char line[40];
    int n = std::snprintf(line, sizeof line, "%10u %10u %10u\n", e.inside, e.outside, e.count);
    text.append(line, static_cast<size_t>(n));
  }
  return text;
}

const char* UsernsFileName(UsernsFile file) {
  switch (file) {
    case UsernsFile::kUidMap:
      return "uid_map";
    case UsernsFile::kGidMap:
      return "gid_map";
    case UsernsFile::kSetgroups:
      return "setgroups";
  }
  return "?";
}

namespace {

WriteVerdict Refuse(int error_number, std::string reason) {
  WriteVerdict verdict;
  verdict.error_number = error_number;
  verdict.reason = std::move(reason) + (error_number == EPERM ? " (EPERM)" : " (EINVAL)");
  return verdict;
}

// kernel/user_namespace.c, proc_setgroups_write: the text (up to its first NUL) must start
// with "allow" or "deny", followed by white space only.
WriteVerdict WriteSetgroups(UsernsFiles& ns, std::string_view bytes) {
  if (bytes.size() >= kSetgroupsBufferSize) {
    return Refuse(EINVAL, "a write to setgroups must be shorter than " +
                              std::to_string(kSetgroupsBufferSize) + " bytes");
  }
  std::string_view text = bytes.substr(0, bytes.find('\0'));
  bool allow;
  size_t pos;
  if (text.substr(0, 5) == "allow") {
    allow = true;
    pos = 5;
  } else if (text.substr(0, 4) == "deny") {
    allow = false;
    pos = 4;
  } else {
    return Refuse(EINVAL, "setgroups takes \"allow\" or \"deny\"");
  }
  while (pos < text.size() && KernelIsSpace(static_cast<unsigned char>(text[pos]))) ++pos;
  if (pos != text.size()) return Refuse(EINVAL, "trailing junk after the setgroups word");
  if (allow && !ns.setgroups_allowed) {
    return Refuse(EPERM, "setgroups cannot be allowed again once denied");
  }
  if (!allow && ns.gid_map) {
    return Refuse(EPERM, "setgroups cannot be denied once gid_map is written");
  }
  ns.setgroups_allowed = allow;
  WriteVerdict verdict;
  verdict.accepted = true;
  return verdict;
}

}  // namespace

WriteVerdict ApplyUsernsWrite(UsernsFiles& ns, UsernsFile file, std::string_view bytes,
                              const MapWriter& writer) {
  if (file == UsernsFile::kSetgroups) return WriteSetgroups(ns, bytes);
  std::optional<IdMap>& map = file == UsernsFile::kUidMap ? ns.uid_map : ns.gid_map;
  // map_write checks the size before it looks at the map.
  if (bytes.size() >= kKernelPageSize) {
    return Refuse(EINVAL,
                  "write of " + std::to_string(bytes.size()) + " bytes is not shorter than a page");
  }
  if (map) return Refuse(EPERM, std::string(UsernsFileName(file)) + " is written only once");
  MapWriter as_now = writer;
  as_now.setgroups_denied = !ns.setgroups_allowed;
  MapVerdict verdict =
      CheckMapWrite(bytes, file == UsernsFile::kUidMap ? MapKind::kUid : MapKind::kGid, as_now);
  WriteVerdict result;
  result.accepted = verdict.accepted;
  result.error_number = verdict.error_number;
  result.reason = std::move(verdict.reason);
  if (verdict.accepted) map = std::move(verdict.extents);
  return result;
}

std::string KernelFileText(const UsernsFiles& ns, UsernsFile file) {
  switch (file) {
    case UsernsFile::kUidMap:
      return ns.uid_map ? KernelMapText(*ns.uid_map) : "";
    case UsernsFile::kGidMap:
      return ns.gid_map ? KernelMapText(*ns.gid_map) : "";
    case UsernsFile::kSetgroups:
      return ns.setgroups_allowed ? "allow\n" : "deny\n";
  }
  return "";
}

}  // namespace sbx
