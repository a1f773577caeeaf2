#include "sandbox/rules/id_map.h"

namespace sbx {

std::string FormatIdExtent(const IdExtent& extent) {
  // std::to_string of a uint32_t is unsigned decimal, so ids above 2^31 stay positive.
  return std::to_string(extent.inside) + " " + std::to_string(extent.outside) + " " +
         std::to_string(extent.count);
}

std::string FormatIdMap(const IdMap& map) {
  std::string out;
  for (size_t i = 0; i < map.size(); ++i) {
    if (i > 0) out += '\n';
    out += FormatIdExtent(map[i]);
  }
  return out;
}

}  // namespace sbx
