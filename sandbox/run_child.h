// What the builder does after release, up to exec (spec 29): loopback up, hostname
// localhost, private mounts, a root with read-only system binds, a fresh /proc, a minimal
// /dev, a tmpfs /tmp, the build dir and a read-only /etc, then the sandbox ids, the build
// dir as working directory, and exec.
//
// In fast mode this runs on the parent's memory while the parent waits (like a vfork
// child), so everything is prepared by the parent (PrepareRunChild) and RunChild itself
// allocates nothing: it makes syscalls and formats errors into a fixed buffer.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace sbx {

struct BindMount {
  std::string source;       // host path
  std::string target;       // path under the root
  unsigned long flags = 0;  // the source's locked flags (nosuid, nodev, ...) to keep on remount
};

struct RunChildPlan {
  bool bring_up_loopback = true;
  std::string root;  // absolute host path; etc/, proc/, dev/, tmp/ and the build dir exist
  std::vector<BindMount> read_only_binds;  // in order; the last is the generated /etc
  std::string build_dir;                   // inside the sandbox
  uid_t uid = 0;                           // sandbox ids to switch to
  gid_t gid = 0;
  int parent_pidfd = -1;  // to notice a parent that died while the death signal was cleared
  int error_fd = -1;      // O_CLOEXEC write end: the error text, if any, goes here
  std::vector<std::string> argv;
  std::vector<std::string> env;
  // Pointers into argv and env, made by PrepareArgv. A bare argv[0] is searched in
  // /usr/bin, /bin, /usr/sbin, /sbin of the sandbox.
  std::vector<char*> argv_ptrs;
  std::vector<char*> env_ptrs;
};

// Makes argv_ptrs and env_ptrs.
void PrepareArgv(RunChildPlan& plan);

// Never returns: execs plan.argv, or writes "STEP: ERROR" to plan.error_fd and exits 125.
[[noreturn]] void RunChild(const RunChildPlan& plan);

}  // namespace sbx
