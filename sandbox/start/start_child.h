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

#include "sandbox/base/unique_fd.h"
#include "sandbox/rules/start_config.h"
#include "sandbox/rules/start_plan.h"
#include "sandbox/start/phase_timings.h"

namespace sbx {

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
  // The syscall that created it: "clone3" (fast mode where the kernel has it) or "clone".
  const char* clone_path() const { return clone_path_; }

  // Waits for the child and returns its wait status.
  int Wait();
  // SIGKILLs and reaps the child.
  void Kill();

 private:
  friend class ChildBuilder;
  pid_t pid_ = -1;
  UniqueFd pidfd_, mnt_ns_, user_ns_;
  PhaseTimings timings_;
  const char* clone_path_ = "clone";
};

// What the plan needs to know of this process: whether user namespaces work (probed once per
// process, spec 2; without `probe_user_namespaces`, taken to work) and its real ids.
HostFacts HostFactsOfThisProcess(bool probe_user_namespaces = true);

// PlanStart for this process.
StartPlan PlanStart(const StartConfig& config);

// Starts the child as planned. Throws SysError (sandbox/base/sys_error.h) naming the step that
// failed; on any failure the child never runs child_main, and no fd or process is left
// behind. `prepare`, where given, is the caller's work that child_main relies on and that
// makes no fd the child needs (it holds the fds of the clone's time): run right after the
// clone where the plan says so (prepare_after_clone), while the builder makes its network
// namespace, else before the clone. Whatever it throws fails the start.
Child StartChild(const StartPlan& plan, const OpenSlave& open_slave, const ChildMain& child_main,
                 const std::function<void()>& prepare = nullptr);

// PlanStart(config), then StartChild(plan).
Child StartChild(const StartConfig& config, const OpenSlave& open_slave,
                 const ChildMain& child_main);

}  // namespace sbx
