// Fuzzes the kernel-exact uid_map validator (sandbox/rules/id_map_kernel_rules.h) with arbitrary
// bytes, holding every verdict to the kernel's rules (id_map_properties.h).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/id_map/id_map_properties.h"
#include "sandbox/rules/id_map_kernel_rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sbx::fuzz::CheckIdMapProperties(std::string_view(reinterpret_cast<const char*>(data), size),
                                  &sbx::CheckMapWrite);
  return 0;
}
