// The planted-bug demo: the id_map target's properties, run against a copy of the validator
// whose overlap test is off by one. The fuzzer must crash, naming "ranges overlap", within
// seconds from seeds that hold no overlapping extents (fuzz/id_map_planted/corpus).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/id_map/id_map_properties.h"
#include "fuzz/id_map_planted/planted_rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sbx::fuzz::CheckIdMapProperties(std::string_view(reinterpret_cast<const char*>(data), size),
                                  &sbx::fuzz::planted::CheckMapWrite);
  return 0;
}
