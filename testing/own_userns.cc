#include "testing/own_userns.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <string>

namespace sbx::testing {
namespace {

bool WriteProcFile(const char* path, const std::string& text) {
  const int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  return close(fd) == 0 && written;
}

}  // namespace

bool UnshareOwnUserNamespace(int more, uid_t uid, gid_t gid) {
  // The ids outside, before the unshare makes them overflow ids.
  const std::string euid = std::to_string(geteuid()), egid = std::to_string(getegid());
  return unshare(CLONE_NEWUSER | more) == 0 &&
         WriteProcFile("/proc/self/uid_map", std::to_string(uid) + " " + euid + " 1") &&
         WriteProcFile("/proc/self/setgroups", "deny") &&
         WriteProcFile("/proc/self/gid_map", std::to_string(gid) + " " + egid + " 1");
}

}  // namespace sbx::testing
