// Makes the benchmark process a big parent: resident anonymous memory in 4 KiB pages, as a
// long-running daemon's heap is. The seed forks the parent, and fork copies its page tables,
// so the seed's start grows with this; a start that does not fork must not.
#pragma once

#include <cstddef>

namespace sbx_bench {

// Grows or shrinks the ballast so that the process's resident set is about `mib` MiB
// (0: no ballast). Allocating and touching happens here, before any timing.
void SetParentResidentMib(size_t mib);

// The process's resident set now, in MiB (from /proc/self/statm).
double ResidentMib();

}  // namespace sbx_bench
