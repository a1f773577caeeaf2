#include "fuzz/id_map/id_map_properties.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "fuzz/print_input.h"
#include "sandbox/rules/id_map.h"

namespace sbx::fuzz {
namespace {

using sbx::IdExtent;
using sbx::IdMap;
using sbx::MapKind;
using sbx::MapVerdict;
using sbx::MapWriter;

constexpr uint64_t kLastId = 4294967294;  // 2^32-1 is the invalid id

[[noreturn]] void Fail(const char* property, std::string_view input, const MapVerdict& v) {
  std::fprintf(stderr, "id_map property violated: %s\nverdict: %s", property,
               v.accepted ? "accepted" : "rejected");
  if (v.accepted) {
    std::fprintf(stderr, " %zu extents:\n%s\n", v.extents.size(),
                 sbx::FormatIdMap(v.extents).c_str());
  } else {
    std::fprintf(stderr, " errno %d: %s\n", v.error_number, v.reason.c_str());
  }
  PrintInput(input);
  __builtin_trap();
}

// No two extents share an id on the given side: sorted by first id, each must end before
// the next begins.
bool Disjoint(IdMap map, uint32_t IdExtent::*side) {
  std::sort(map.begin(), map.end(),
            [side](const IdExtent& a, const IdExtent& b) { return a.*side < b.*side; });
  for (size_t i = 1; i < map.size(); ++i) {
    if (uint64_t{map[i - 1].*side} + map[i - 1].count > map[i].*side) return false;
  }
  return true;
}

// Lines the kernel sees: text up to the first NUL, one optional final '\n' dropped.
size_t KernelLines(std::string_view input) {
  std::string_view text = input.substr(0, input.find('\0'));
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  size_t lines = 1;
  for (char c : text) lines += c == '\n';
  return lines;
}

void CheckAccepted(std::string_view input, const MapVerdict& v, MapChecker check) {
  const IdMap& map = v.extents;
  if (input.size() >= 4096) Fail("accepted a write of a page or more", input, v);
  if (map.empty()) Fail("accepted a map without extents", input, v);
  if (map.size() > 340) Fail("accepted more than 340 extents", input, v);
  if (map.size() != KernelLines(input)) Fail("extent count differs from line count", input, v);
  for (const IdExtent& e : map) {
    if (e.count == 0) Fail("accepted a count of 0", input, v);
    if (uint64_t{e.inside} + e.count - 1 > kLastId) Fail("inside range wraps", input, v);
    if (uint64_t{e.outside} + e.count - 1 > kLastId) Fail("outside range wraps", input, v);
  }
  if (!Disjoint(map, &IdExtent::inside)) Fail("inside ranges overlap", input, v);
  if (!Disjoint(map, &IdExtent::outside)) Fail("outside ranges overlap", input, v);

  // The canonical text of an accepted map is accepted with the same extents, also with the
  // one trailing newline the kernel allows.
  std::string canonical = sbx::FormatIdMap(map);
  for (bool final_newline : {false, true}) {
    if (final_newline) canonical += '\n';
    MapVerdict again = check(canonical, MapKind::kUid, MapWriter{});
    if (!again.accepted || again.extents != map) {
      Fail("formatted map does not re-parse to the same extents", input, v);
    }
  }

  // An unprivileged owner may write exactly one extent of count 1 mapping its own euid
  // (not 0); gid_map additionally needs "deny" in setgroups first.
  const IdExtent& first = map.front();
  MapWriter owner{.privileged = false, .euid = first.outside, .egid = first.outside};
  bool owner_may = map.size() == 1 && first.count == 1;
  MapVerdict as_owner = check(input, MapKind::kUid, owner);
  if (as_owner.accepted != (owner_may && first.outside != 0)) {
    Fail("unprivileged uid_map verdict breaks the one-own-id rule", input, as_owner);
  }
  if (!as_owner.accepted && as_owner.error_number != EPERM) {
    Fail("unprivileged rejection of a valid map is not EPERM", input, as_owner);
  }
  MapVerdict gid_no_deny = check(input, MapKind::kGid, owner);
  if (gid_no_deny.accepted) Fail("unprivileged gid_map accepted without deny", input, v);
  owner.setgroups_denied = true;
  MapVerdict gid_deny = check(input, MapKind::kGid, owner);
  if (gid_deny.accepted != owner_may) Fail("unprivileged gid_map verdict after deny", input, v);
  if (gid_deny.accepted && gid_deny.extents != map) Fail("gid_map extents differ", input, v);
}

// A map made from the input's bytes to be valid by construction (each side's ranges in
// increasing order with gaps, none wrapping, fewer than 4096 bytes of text) must be accepted
// with exactly its extents, so that a validator that rejects everything fails too.
void CheckConstructedMapIsAccepted(std::string_view input, MapChecker check) {
  IdMap map;
  uint64_t inside = 0, outside = 0;
  for (size_t i = 0; i + 4 <= input.size() && map.size() < 340; i += 4) {
    const auto byte = [&](size_t k) { return static_cast<uint8_t>(input[i + k]); };
    inside += uint64_t{byte(0)} << 24;  // gaps of whole 16M blocks, or none
    outside += uint64_t{byte(1)} << 24;
    const uint64_t count = 1 + (byte(2) | (uint64_t{byte(3)} << 8));
    if (inside + count - 1 > kLastId || outside + count - 1 > kLastId) break;
    map.push_back({static_cast<uint32_t>(inside), static_cast<uint32_t>(outside),
                   static_cast<uint32_t>(count)});
    inside += count;
    outside += count;
  }
  if (map.empty()) map.push_back({0, 0, 1});
  while (sbx::FormatIdMap(map).size() >= 4096) map.pop_back();
  const std::string text = sbx::FormatIdMap(map);
  MapVerdict v = check(text, MapKind::kUid, MapWriter{});
  if (!v.accepted || v.extents != map) Fail("a valid map made from the input was refused", text, v);
}

}  // namespace

void CheckIdMapProperties(std::string_view input, MapChecker check) {
  CheckConstructedMapIsAccepted(input, check);
  MapVerdict v = check(input, MapKind::kUid, MapWriter{});
  if (v.accepted) {
    if (v.error_number != 0 || !v.reason.empty()) Fail("accepted with an error set", input, v);
    CheckAccepted(input, v, check);
  } else {
    if (v.error_number != EINVAL) Fail("privileged rejection is not EINVAL", input, v);
    if (v.reason.empty()) Fail("rejection without a reason", input, v);
    if (!v.extents.empty()) Fail("rejection carries extents", input, v);
    // A privileged writer's verdict cannot depend on which map file it writes.
    if (check(input, MapKind::kGid, MapWriter{}).accepted) {
      Fail("gid_map accepted what uid_map rejected", input, v);
    }
  }
}

}  // namespace sbx::fuzz
