// An id map as written to /proc/PID/uid_map or gid_map (spec 5): a list of extents, each
// mapping COUNT consecutive ids starting at INSIDE (in the new namespace) to OUTSIDE (in the
// parent namespace).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sbx {

struct IdExtent {
  uint32_t inside = 0;
  uint32_t outside = 0;
  uint32_t count = 0;

  friend bool operator==(const IdExtent&, const IdExtent&) = default;
};

using IdMap = std::vector<IdExtent>;

// "INSIDE OUTSIDE COUNT", unsigned decimal, single spaces, no newline.
std::string FormatIdExtent(const IdExtent& extent);

// The seed's format: one extent per line, lines joined by '\n', no trailing newline.
std::string FormatIdMap(const IdMap& map);

}  // namespace sbx
