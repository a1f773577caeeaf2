// The properties every verdict of a uid_map validator must have, checked independently of
// the validator's own code (sorting instead of pairwise overlap tests, 64-bit sums instead
// of wrap tests). Shared by the id_map target and its planted-bug variant, so the variant
// proves these checks catch a broken validator.
#pragma once

#include <string_view>

#include "sandbox/rules/id_map_kernel_rules.h"

namespace sbx::fuzz {

using MapChecker = sbx::MapVerdict (*)(std::string_view bytes, sbx::MapKind kind,
                                       const sbx::MapWriter& writer);

// Aborts (with a message naming the property and the input) if `check` breaks a property
// on `input`.
void CheckIdMapProperties(std::string_view input, MapChecker check);

}  // namespace sbx::fuzz
