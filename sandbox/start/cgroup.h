// Placing the child in a cgroup v2 and tearing the cgroup down (spec 28).
#pragma once

#include <sys/types.h>

#include <string>

#include "sandbox/base/unique_fd.h"

namespace sbx {

// The cgroup directory, for clone3's CLONE_INTO_CGROUP. Throws SysError.
UniqueFd OpenCgroup(const std::string& dir);

// Writes pid to DIR/cgroup.procs. Throws SysError.
void AddToCgroup(const std::string& dir, pid_t pid);

// Kills every process in the cgroup (cgroup.kill where the kernel has it, else rounds of
// SIGKILL over cgroup.procs with growing sleeps, at most 20) and removes it. Throws SysError.
void DestroyCgroup(const std::string& dir);

}  // namespace sbx
