// What the builder does after release, up to exec (spec 29), in Nix's order: loopback up,
// hostname localhost, private mounts, a root whose host binds are read-only, nosuid and
// nodev all the way down, a fresh /proc, host devices bound onto /dev, tmpfs on /dev/shm,
// the build dir (the parent's host dir, 0700, owned by the sandbox user, bound nosuid and
// nodev; or a tmpfs), chroot, the sandbox ids, the
// build dir as working directory, no new privileges and Nix's seccomp filter, only fds 0-2
// left open, exec.
//
// In fast mode this runs on the parent's memory while the parent waits (like a vfork
// child), so the parent prepares everything here (the root, the strings, the seccomp
// program) and RunChild itself allocates nothing: it makes syscalls and formats errors
// into a fixed buffer. It never creates a file: the parent made every mount point.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <span>
#include <string>
#include <vector>

#include "sandbox/rules/bind_mounts.h"
#include "sandbox/rules/builder_steps.h"
#include "sandbox/rules/exit_codes.h"

namespace sbx {

// The plan's BuilderSteps with what only the start knows: the root and its binds, and fds.
// Made by PrepareRunChild; not copyable, as argv_ptrs and env_ptrs point into steps.
struct RunChildPlan {
  RunChildPlan() = default;
  RunChildPlan(RunChildPlan&&) = default;
  RunChildPlan(const RunChildPlan&) = delete;
  RunChildPlan& operator=(const RunChildPlan&) = delete;

  BuilderSteps steps;
  std::string root;        // absolute host path, every mount point made by the parent; or "."
  int root_mount_fd = -1;  // with ".": the detached tmpfs the builder attaches as its root
  std::vector<BindMount> read_only_binds;  // in order; the last is the generated /etc
  BuildDirBind build_dir;
  int parent_pidfd = -1;  // to notice a parent that died while the death signal was cleared
  int error_fd = -1;      // O_CLOEXEC write end: the encoded error, if any, goes here
  std::span<const sock_filter> seccomp_program;  // embedded, static
  // Into steps.argv and steps.environment. A bare argv[0] is searched in /usr/bin, /bin,
  // /usr/sbin, /sbin of the sandbox.
  std::vector<char*> argv_ptrs;
  std::vector<char*> env_ptrs;
};

// The step RunChild names when it cannot move a private tmpfs root over its / (a kernel or
// security policy that refuses move_mount): the caller may run again with a directory root.
inline constexpr char kAttachingTheRootTmpfs[] = "attaching the root tmpfs";

// Everything RunChild needs made beforehand, so that it allocates nothing: the seccomp
// program, the argv and environment pointers. steps.argv must not be empty.
RunChildPlan PrepareRunChild(BuilderSteps steps, std::string root, int root_mount_fd,
                             std::vector<BindMount> read_only_binds, BuildDirBind build_dir,
                             int parent_pidfd, int error_fd);

// Never returns: execs steps.argv, or writes the failed step to error_fd (SysError's
// Encode() form, "ERRNO STEP") and exits with kExitSetupFailed, kExitCannotExecute or
// kExitNotFound.
[[noreturn]] void RunChild(const RunChildPlan& plan);

}  // namespace sbx
