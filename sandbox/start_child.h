// The sandbox start (spec sections 1-4, 7): clone the builder into new namespaces, write
// its id maps, generate its /etc/passwd and /etc/group, save namespace fds, place it in a
// cgroup, and release it.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "sandbox/identity.h"
#include "sandbox/start_mode.h"
#include "sandbox/unique_fd.h"

namespace sbx {

struct StartConfig {
  StartMode mode = StartMode::kLix;
  bool use_user_namespace = true;
  bool private_network = true;          // CLONE_NEWNET (all but fixed-output builds)
  std::optional<BuildUser> build_user;  // none: map the caller's own ids
  std::string build_dir = "/build";     // home in the generated passwd
  std::string sandbox_root;             // passwd/group go to SANDBOX_ROOT/etc/ (must exist)
  std::optional<std::string> cgroup;    // directory of a cgroup v2 to place the child in
  bool require_drop_supplementary_groups = (getuid() == 0);  // spec 10
  bool force_clone_fallback = false;  // fast mode: use clone() + cgroup.procs, not clone3
};

// Microseconds spent in each phase, as the parent sees them.
struct PhaseTimings {
  int64_t clone_us = 0;
  int64_t maps_us = 0;
  int64_t files_us = 0;
  int64_t nsfds_us = 0;
  int64_t cgroup_us = 0;
  int64_t release_us = 0;
  // Fast mode only: after the release, until the builder has left the parent's memory
  // (exec or exit). The caller waits for it, but the child is released by then, so it is
  // not part of clone-to-release.
  int64_t handoff_us = 0;
};

// A released child. Owns its namespace fds and pidfd; the destructor kills and reaps the
// child if it was not waited for.
class Child {
 public:
  Child() = default;
  Child(Child&&) noexcept;
  Child& operator=(Child&&) noexcept;
  ~Child();

  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_.get(); }  // -1 where the kernel has no pidfds
  int mnt_ns_fd() const { return mnt_ns_.get(); }
  int user_ns_fd() const { return user_ns_.get(); }  // -1 without a user namespace
  const PhaseTimings& timings() const { return timings_; }

  // Waits for the child and returns its wait status.
  int Wait();
  // SIGKILLs and reaps the child.
  void Kill();

 private:
  friend class ChildBuilder;
  pid_t pid_ = -1;
  UniqueFd pidfd_, mnt_ns_, user_ns_;
  PhaseTimings timings_;
};

// Runs in the lix helper before CLONE_NEWUSER (the seed opens the pty slave here).
using OpenSlave = std::function<void()>;
// Runs in the child after release, on a stack of its own; its return value is the child's
// exit status. In fast mode it runs on the parent's memory, like a vfork child, and
// StartChild returns only once it has exec'd or returned: it should do little but
// prepare and exec, allocate nothing the parent relies on, and not wait for the parent.
using ChildMain = std::function<int()>;

// Starts the child. Throws SysError (sandbox/sys_error.h) naming the step that failed; on
// any failure the child never runs child_main, and no fd or process is left behind.
Child StartChild(const StartConfig& config, const OpenSlave& open_slave,
                 const ChildMain& child_main);

}  // namespace sbx
