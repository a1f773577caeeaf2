// One sandbox start through the implementation under test (sbx::StartChild, lix or fast
// mode), measured as the parent sees it, with the phase times it reports.
#pragma once

#include "bench/sample.h"

namespace sbx_bench {

enum class Mode { kLix, kFast };

// Starts, releases and reaps one child with the seed's namespaces; `ns_flags` may drop
// CLONE_NEWNET (shared network) or CLONE_NEWUSER (then a build user is needed and the
// caller's ids are used). Other subsets are not something StartChild can express: throws
// std::invalid_argument. Errors of the start itself propagate. Thread-safe.
StartSample StartChildStart(Mode mode, int ns_flags);

// Whether StartChildStart accepts this flag set.
bool StartChildSupports(int ns_flags);

}  // namespace sbx_bench
