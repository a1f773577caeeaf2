// The validator with a planted off-by-one in its overlap test, generated from
// sandbox/rules/id_map_kernel_rules.cc by plant_overlap_bug.sh. Exists only for the demo that the
// id_map properties find such a bug within seconds; never linked outside fuzz/.
#pragma once

#include <string_view>

#include "sandbox/rules/id_map_kernel_rules.h"

namespace sbx::fuzz::planted {

MapVerdict CheckMapWrite(std::string_view bytes, MapKind kind, const MapWriter& writer);

}  // namespace sbx::fuzz::planted
