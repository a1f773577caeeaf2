// Whether this process can start sandboxes at all: the benchmarks need root and working user
// namespaces, and say so (SkipWithError) rather than report a meaningless number.
#pragma once

#include <optional>
#include <string>

namespace sbx_bench {

// The reason sandboxes cannot be started here, or nullopt when they can. Probed once.
const std::optional<std::string>& WhyNoSandbox();

}  // namespace sbx_bench
