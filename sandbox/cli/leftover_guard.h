// What `sbx run` leaves on the host while it runs (a fresh root, a cgroup) must not outlive
// it, not even a SIGKILL of sbx. A small forked process holds the list and waits for EOF on
// a pipe: if sbx says "done" first, it exits; if sbx dies, the pipe closes and it removes
// what is listed (the builder dies with sbx: its death signal, or cgroup.kill).
#pragma once

#include <sys/types.h>

#include <string>

#include "sandbox/start/unique_fd.h"

namespace sbx {

class LeftoverGuard {
 public:
  // Forks the guard. Throws SysError.
  LeftoverGuard();
  // Says "done": sbx removed everything itself.
  ~LeftoverGuard();
  LeftoverGuard(const LeftoverGuard&) = delete;
  LeftoverGuard& operator=(const LeftoverGuard&) = delete;

  // Registers a directory tree to remove (no symlink followed, no mount crossed), or a cgroup
  // to kill and remove, should sbx die. Throws SysError.
  void RemoveTreeIfKilled(const std::string& path);
  void DestroyCgroupIfKilled(const std::string& path);

  pid_t pid() const { return pid_; }

 private:
  void Send(char kind, const std::string& path);

  pid_t pid_ = -1;
  UniqueFd to_guard_;
};

}  // namespace sbx
