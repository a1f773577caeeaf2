// The raw floors: the bare syscalls a sandbox start must make, and nothing else. The clone
// shares the parent's memory (CLONE_VM) and runs on a small stack, so its cost does not grow
// with the parent, as an honest minimum must not.
//  - bare (the clone-to-release headline's floor): a pipe for the release, one clone with
//    the namespace flags, the three id-map writes (with a user namespace), the release.
//  - whole start (the call-to-release headline's floor): also the rest of what StartChild
//    must do, with the fewest syscalls: etc/passwd and etc/group written before the clone
//    (one open, write and close each), the pidfd from the clone itself (CLONE_PIDFD) and the
//    mount and user namespace fds from the pidfd (Linux 6.11+).
#pragma once

#include "sandbox/start/phase_timings.h"

namespace sbx_bench {

enum class FloorWork { kBare, kWholeStart };

// Starts one child with `ns_flags` (CLONE_NEW* bits), maps it as the seed does
// ("1000 <uid> 1", "deny", "100 <gid> 1"), releases it, then reaps it (not timed).
// Throws std::system_error naming the step that failed. Thread-safe.
sbx::PhaseTimings FloorStart(int ns_flags, FloorWork work = FloorWork::kBare);

}  // namespace sbx_bench
