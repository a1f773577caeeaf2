// One sandbox start through the implementation under test (sbx::StartChild, lix or fast
// mode), with the phase times and headlines it reports.
#pragma once

#include "sandbox/rules/start_mode.h"
#include "sandbox/start/phase_timings.h"

namespace sbx_bench {

// Starts, releases and reaps one child with the seed's namespaces; `ns_flags` may drop
// CLONE_NEWNET (shared network) or CLONE_NEWUSER (then a build user is needed and the
// caller's ids are used). Other subsets are not something StartChild can express: throws
// std::invalid_argument. Errors of the start itself propagate. Thread-safe.
sbx::PhaseTimings StartChildStart(sbx::StartMode mode, int ns_flags);

// Whether StartChildStart accepts this flag set: the plan's flags for some config.
bool StartChildSupports(int ns_flags);

}  // namespace sbx_bench
