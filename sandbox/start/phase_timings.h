// Where a sandbox start's time went, as the parent sees it: StartChild's, and the
// benchmarks' floors, which fill what they do.
#pragma once

#include <cstdint>

namespace sbx {

// Microseconds spent in each phase, as the parent sees them, in the order they happen.
struct PhaseTimings {
  int64_t setup_us = 0;  // from the call to the clone: pipe, stacks (and not the files)
  int64_t clone_us = 0;
  // StartChild's `prepare`: the caller's own work, before the clone or (prepare_after_clone)
  // after it, inside clone_to_release then.
  int64_t prepare_us = 0;
  int64_t maps_us = 0;
  // Before the clone where the plan says so (StartPlan::etc_files_before_clone), else after
  // the maps.
  int64_t files_us = 0;
  int64_t nsfds_us = 0;
  int64_t cgroup_us = 0;
  int64_t release_us = 0;
  // Fast mode only: after the release, until the builder has left the parent's memory
  // (exec or exit). The caller waits for it, but the child is released by then, so it is
  // part of neither headline.
  int64_t handoff_us = 0;
  // The two headlines (docs/benchmarks.md): from the clone to the release, and from the
  // call to the release, which also counts what was moved before the clone.
  int64_t clone_to_release_us = 0;
  int64_t call_to_release_us = 0;
};

}  // namespace sbx
