// What `sbx run` leaves on the host while it runs (a fresh root, a cgroup) must not outlive
// it, not even a SIGKILL of sbx. A guard process holds the list and waits for EOF on a pipe:
// if sbx says "done" first, it exits; if sbx dies, the pipe closes and it execs
// `sbx --leftover-cleanup`, which removes what is listed (the builder dies with sbx: its
// death signal, or cgroup.kill).
//
// The guard shares sbx's memory (CLONE_VM, as a vfork child does, but sbx runs on): making
// it copies no page tables, and sbx takes no copy-on-write faults after it. Until it execs
// it therefore makes raw syscalls only, on a stack and buffer of its own that nothing else
// touches, so one process has at most one guard at a time.
#pragma once

#include <sys/types.h>

#include <initializer_list>
#include <optional>
#include <string>

#include "sandbox/base/unique_fd.h"

namespace sbx {

class LeftoverGuard {
 public:
  // Starts the guard. Throws SysError, also while another guard of this process lives.
  // `reap`: wait for the guard's exit at the end, so that a process running many sandboxes
  // keeps no zombie and may make the next guard; else (a process that exits right after,
  // like sbx) it is left to exit on its own, and init reaps it: one wait fewer.
  explicit LeftoverGuard(bool reap = true);
  // Says "done" (everything was removed) and, if asked, reaps the guard.
  ~LeftoverGuard();
  LeftoverGuard(const LeftoverGuard&) = delete;
  LeftoverGuard& operator=(const LeftoverGuard&) = delete;

  // Registers a directory tree to remove (no symlink followed, no mount crossed), or a cgroup
  // to kill and remove, should sbx die. Throws SysError.
  void RemoveTreeIfKilled(const std::string& path);
  void DestroyCgroupIfKilled(const std::string& path);

  // The guard opens each path (O_PATH, no symlink followed) and keeps it open until it ends,
  // after sbx. Removing a held directory then leaves the release of its inode to the guard:
  // where the file system discards a freed block before rmdir returns (ext4 without a
  // journal, mounted with `discard`), sbx does not wait for the disk. Best effort: a path
  // the guard finds gone is released by whoever removed it. Throws SysError.
  void HoldUntilGuardEnds(std::initializer_list<std::string> paths);
  // The same for the mount namespace of process `pid` (a child of ours): when that process
  // exits, its mounts stay until the guard ends, and their teardown (an RCU grace period,
  // the root tmpfs, the binds) is the guard's, not a wait before sbx learns of the exit.
  void HoldMountNamespaceUntilGuardEnds(pid_t pid);

 private:
  void Send(char kind, std::initializer_list<std::string> paths);

  pid_t pid_ = -1;
  bool reap_;
  UniqueFd to_guard_;
};

// The command the guard execs once sbx has died: `sbx --leftover-cleanup ITEM...`, each
// item a kind letter and a path (T: a tree, C: a cgroup). Not for users.
inline constexpr char kLeftoverCleanupCommand[] = "--leftover-cleanup";

// For main(): a process that runs sandboxes (RunInSandbox) is what its guards exec, so it
// must begin with this. When argv is a guard's cleanup, carries it out (cgroups first:
// killing what is in them ends the builder before its root goes; then trees) and returns
// its exit status, 0 or 1 if something could not be removed; otherwise nullopt.
std::optional<int> LeftoverCleanupRequested(int argc, char** argv);

}  // namespace sbx
