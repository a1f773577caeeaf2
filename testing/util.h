// What the integration suites check around every start: open fds, children left behind,
// the privileges at hand (host_probe.h), and a child that reports what it observes.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <set>
#include <string>

#include "sandbox/rules/identity.h"
#include "sandbox/start/start_child.h"
#include "testing/host_probe.h"  // the suites skip by UserNamespaceUnavailableReason()

namespace sbx::testing {

// The fd numbers open in this process.
std::set<int> OpenFds();

// True when this process has no child left, reaped or not.
bool NoChildrenLeft();

// Where a test may create cgroups: the VM's delegated one (SBX_VM_CGROUP), else the host's
// cgroup v2 hierarchy (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host) when it
// is writable; "" when there is none.
std::string CgroupBase();

// The whole content of a file, or "" when it cannot be read.
std::string ReadFile(const std::string& path);

// The extents of a /proc/PID/{uid,gid}_map text (the kernel pads them), one "I O C" per line.
std::string NormalizeMap(const std::string& proc_text);

// A build user with `count` ids that this process may map: any for root; for others, the
// first matching range of /etc/subuid and /etc/subgid (newuidmap), else nullopt.
std::optional<BuildUser> MappableBuildUser(uint32_t count);

// Starts a child that runs `probe` after release, and returns what the probe returned; the
// child's exit status must be 0.
std::string Observe(const StartConfig& config, const std::function<std::string()>& probe);

// Reads everything available from fd without blocking.
std::string ReadAvailable(int fd);

// Reads one line from fd (a byte at a time, so nothing after it is consumed), without its
// newline; what there was at EOF.
std::string ReadLine(int fd);

// For child_main: a child that stays alive until the parent closes `fd`'s write end, then
// exits with `status`. It execs (a shell reading stdin): a fast-mode child shares the
// parent's memory until it execs, and StartChild waits for that.
int ExecWaitingOn(int fd, int status);

}  // namespace sbx::testing
