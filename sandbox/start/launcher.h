// How the builder process comes to be, blocked on the release channel: the seed's forked
// helper (start_lix.cc) or a vfork-style launcher that never copies the parent
// (start_fast.cc). Internal to start_child.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <memory>
#include <string>

#include "sandbox/rules/start_config.h"
#include "sandbox/rules/start_plan.h"

namespace sbx {

// What the builder runs first (child_entry.cc). Lives in the parent's memory: the fast
// mode's builder reads it in place, the lix mode's builder in its copy.
struct ChildEntryArgs {
  int release_read_fd = -1;
  int release_write_fd = -1;
  bool unshare_cgroup = false;
  const ChildMain* main = nullptr;
  // Fast mode: the builder starts with every signal blocked, so that none of the parent's
  // handlers can run on the parent's memory; after release it resets the handlers to their
  // defaults (as posix_spawn does) and takes back this mask.
  const sigset_t* mask_after_release = nullptr;
  // The kernel already reset the handlers (clone3's CLONE_CLEAR_SIGHAND, Linux 5.5+): 64
  // sigaction calls fewer on the clone-to-exec path.
  bool handlers_reset_by_kernel = false;
  // CLONE_NEW* flags the builder unshares itself as soon as it runs (StartPlan's
  // builder_unshares), while the parent works; it then stores 0 or -errno in `unshared`
  // (fast mode: in our memory).
  int unshare_flags = 0;
  int unshared = kUnsharing;
  static constexpr int kUnsharing = 1;
};

// Waits for release, then runs *main. Raw syscalls only until released.
int ChildEntry(void* child_entry_args);

// Once the fast builder has left our memory (exec or exit): throws SysError where it could
// not unshare entry.unshare_flags (it then ran nothing), or ended before it tried.
void CheckBuilderUnshared(const ChildEntryArgs& entry);

// SIGKILLs a child of ours and reaps it: the cleanup of every failed start. Plain
// syscalls, since it runs after a failed seam call.
void KillAndReap(pid_t pid);

// How a helper or launcher ended, for an error: "exited with status N", "was killed by
// signal N".
std::string DescribeWaitStatus(int status);

// Spec 10: drops supplementary groups before CLONE_NEWUSER. Throws SysError with the seed's
// messages.
void DropSupplementaryGroups(bool required);

class Launcher {
 public:
  virtual ~Launcher() = default;
  // Creates the builder and returns its pid (a child of the caller). Throws SysError.
  virtual pid_t Launch(ChildEntryArgs& entry) = 0;
  // True when the builder was created inside plan.cgroup (CLONE_INTO_CGROUP).
  virtual bool placed_in_cgroup() const { return false; }
  // Which syscall created the builder: "clone3" or "clone".
  virtual const char* clone_path() const { return "clone"; }
  // A pidfd the clone itself returned (CLONE_PIDFD), handed over once; -1 when there is
  // none, and the caller opens one.
  virtual int TakePidfd() { return -1; }
  // After release; the fast launcher waits here until the builder has left the parent's
  // memory (exec or exit).
  virtual void AfterRelease() {}
};

std::unique_ptr<Launcher> MakeLixLauncher(const StartPlan& plan, const OpenSlave& open_slave);
std::unique_ptr<Launcher> MakeFastLauncher(const StartPlan& plan, const OpenSlave& open_slave);

}  // namespace sbx
