// What `sbx run` leaves on the host while it runs (a fresh root, a cgroup) must not outlive
// it, not even a SIGKILL of sbx or of its process group (the guard has a group of its own).
// A guard process keeps the list and sleeps until sbx's process has exited (a pidfd of it
// becomes readable): if sbx said "done", it exits; else it execs `sbx --leftover-cleanup`,
// which removes what is listed (the builder dies with sbx: its death signal, or
// cgroup.kill).
//
// The guard shares sbx's memory and fd table (CLONE_VM | CLONE_FILES): making it copies
// neither, sbx adds to its list with a store to memory (no message, no wakeup), and an fd sbx
// leaves open lives until the guard exits, after sbx (what HoldUntilGuardEnds is for). Until it
// execs it makes raw syscalls only, on a stack of its own that nothing else touches, so one
// process has at most one guard at a time.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "sandbox/base/unique_fd.h"

namespace sbx {

class LeftoverGuard {
 public:
  // Starts the guard. Throws SysError, also while another guard of this process lives.
  // `reap`: end the guard at the end (a process running many sandboxes keeps no zombie and
  // may make the next guard); else (a process that exits right after, like sbx) it is left
  // to end after this process, and init reaps it: what it holds is released after our exit.
  explicit LeftoverGuard(bool reap = true);
  // Says "done" (everything was removed); if reaping, ends the guard and waits for it.
  ~LeftoverGuard();
  LeftoverGuard(const LeftoverGuard&) = delete;
  LeftoverGuard& operator=(const LeftoverGuard&) = delete;

  // Whether a path can be listed: the list is one path a line, so none with a newline.
  static bool CanList(const std::string& path) { return path.find('\n') == std::string::npos; }

  // Registers a directory tree to remove (no symlink followed, no mount crossed), or a cgroup
  // to kill and remove, should this process die first. Throws SysError (a path it cannot
  // list, or a list longer than any run makes).
  void RemoveTreeIfKilled(const std::string& path);
  void DestroyCgroupIfKilled(const std::string& path);

  // Keeps a duplicate of `fd` open until the guard ends, after this process has exited
  // (nothing when reaping: the guard then ends at our wait for it). Releasing the last
  // reference to a removed directory (where the file system discards a freed block before
  // returning: ext4 without a journal, mounted `discard`) or to the builder's mount namespace
  // (the teardown of its mounts: an RCU grace period) is then the guard's work, not a wait
  // before sbx returns. Throws SysError.
  void HoldUntilGuardEnds(int fd);

 private:
  void Append(char kind, const std::string& path);

  pid_t pid_ = -1;
  bool reap_;
  UniqueFd self_;  // a pidfd of this process: the guard waits for it to be readable
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
