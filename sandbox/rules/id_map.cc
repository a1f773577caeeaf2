#include "sandbox/rules/id_map.h"

#include <charconv>

namespace sbx {
namespace {

// The longest extent: three 10-digit ids and two spaces.
constexpr size_t kMaxExtentChars = 3 * 10 + 2;

// Appends "INSIDE OUTSIDE COUNT" to `out`, formatted in place (a fuzzer formats maps of 340
// extents at a time; string concatenation allocated for every extent).
void AppendExtent(std::string& out, const IdExtent& extent) {
  char text[kMaxExtentChars];
  char* end = text + sizeof text;
  // to_chars of a uint32_t is unsigned decimal, so ids above 2^31 stay positive.
  char* at = std::to_chars(text, end, extent.inside).ptr;
  *at++ = ' ';
  at = std::to_chars(at, end, extent.outside).ptr;
  *at++ = ' ';
  at = std::to_chars(at, end, extent.count).ptr;
  out.append(text, at);
}

}  // namespace

std::string FormatIdExtent(const IdExtent& extent) {
  std::string out;
  AppendExtent(out, extent);
  return out;
}

std::string FormatIdMap(const IdMap& map) {
  std::string out;
  // One extent (the start's usual map) mostly fits the string's inline buffer.
  if (map.size() > 1) out.reserve(map.size() * (kMaxExtentChars + 1));
  for (size_t i = 0; i < map.size(); ++i) {
    if (i > 0) out += '\n';
    AppendExtent(out, map[i]);
  }
  return out;
}

}  // namespace sbx
