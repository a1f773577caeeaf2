#include "sandbox/start/cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <thread>

#include "sandbox/base/sys_error.h"
#include "sandbox/base/syscalls.h"

namespace sbx {
namespace {

// Writes text to DIR/FILE in one write. Returns errno, 0 on success.
int WriteControl(const std::string& dir, const char* file, const std::string& text) {
  UniqueFd fd(sys::OpenAt(AT_FDCWD, (dir + "/" + file).c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return errno;
  if (sys::Write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return errno ? errno : EIO;
  }
  return 0;
}

bool KillAllOnce(const std::string& dir) {
  std::ifstream procs(dir + "/cgroup.procs");
  bool any = false;
  for (pid_t pid; procs >> pid;) {
    any = true;
    sys::Kill(pid, SIGKILL);
  }
  return any;
}

}  // namespace

UniqueFd OpenCgroup(const std::string& dir) {
  UniqueFd fd(sys::OpenAt(AT_FDCWD, dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw SysError("opening cgroup " + dir, errno);
  return fd;
}

void AddToCgroup(const std::string& dir, pid_t pid) {
  if (int error = WriteControl(dir, "cgroup.procs", std::to_string(pid))) {
    throw SysError("writing " + std::to_string(pid) + " to " + dir + "/cgroup.procs", error);
  }
}

void DestroyCgroup(const std::string& dir) {
  if (WriteControl(dir, "cgroup.kill", "1") != 0) {
    auto pause = std::chrono::milliseconds(1);
    for (int round = 0; round < 20 && KillAllOnce(dir); ++round) {
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(100));
    }
  }
  // The kernel removes killed processes from the cgroup asynchronously: retry EBUSY briefly.
  for (int attempt = 0;; ++attempt) {
    if (rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
    if (errno != EBUSY || attempt == 100) throw SysError("removing cgroup " + dir, errno);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace sbx
