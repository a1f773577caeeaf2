// The kernel side of the id_map_kernel differential: runs a Scenario against the running
// kernel in a fresh user namespace and reports each write's result and what the namespace's
// files read afterwards.
//
// Nothing here copies the fuzzer's memory, so the cost of an input does not grow with the
// fuzzer's size: the writer is a CLONE_VM|CLONE_VFORK child on a small stack of its own (the
// fuzzer waits while it runs), and the namespace's process, when the writer stands outside
// it, is a CLONE_VM|CLONE_NEWUSER grandchild that only waits to be killed. Both run raw
// syscalls only, from this file, which is built without sanitizers or coverage.
#pragma once

#include <optional>
#include <string>

#include "fuzz/id_map_kernel/scenario.h"

namespace sbx_fuzz {

struct KernelOutcome {
  int step_errno[kMaxSteps] = {};  // 0: the write(2) succeeded, else its errno
  std::string files[3];            // uid_map, gid_map, setgroups, indexed by sbx::UsernsFile
};

// Why the differential cannot run here (not root of the initial user namespace, no user
// namespaces, no unprivileged ones), or nullopt when it can.
std::optional<std::string> KernelUnavailableReason();

// Runs `scenario`; aborts with a message if the scenario cannot be set up (a harness
// problem, not a verdict).
KernelOutcome RunOnKernel(const Scenario& scenario);

}  // namespace sbx_fuzz
