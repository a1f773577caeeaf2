// The raw floor: the bare syscalls any sandbox start must make, and nothing else. A pipe for
// the release, one clone with the namespace flags, the three id-map writes (with a user
// namespace), the release write. The clone shares the parent's memory (CLONE_VM) and runs on
// a small stack, so its cost does not grow with the parent, as an honest minimum must not.
#pragma once

#include "bench/sample.h"

namespace sbx_bench {

// Starts one child with `ns_flags` (CLONE_NEW* bits), maps it as the seed does
// ("1000 <uid> 1", "deny", "100 <gid> 1"), releases it, then reaps it (not timed).
// Throws std::system_error naming the step that failed. Thread-safe.
StartSample FloorStart(int ns_flags);

}  // namespace sbx_bench
