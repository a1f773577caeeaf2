#include "testing/host_probe.h"

#include <linux/mount.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace sbx::testing {

std::string RootUnavailableReason() {
  if (geteuid() == 0) return "";
  return "needs root (euid " + std::to_string(geteuid()) + ")";
}

std::string InitialRootUnavailableReason() {
  std::string why = RootUnavailableReason();
  if (!why.empty()) return why;
  FILE* self = std::fopen("/proc/self/uid_map", "re");
  unsigned inside = 1, outside = 1, count = 0;
  const int fields = self ? std::fscanf(self, "%u %u %u", &inside, &outside, &count) : 0;
  if (self) std::fclose(self);
  if (fields != 3 || inside != 0 || outside != 0 || count != 4294967295u) {
    return "not in the initial user namespace (/proc/self/uid_map is not 0 0 4294967295)";
  }
  return "";
}

std::string UserNamespaceUnavailableReason() {
  const pid_t pid = fork();
  if (pid == 0) _exit(unshare(CLONE_NEWUSER) == 0 ? 0 : errno);
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
    return "could not try unshare(CLONE_NEWUSER) in a child";
  }
  if (WEXITSTATUS(status) == 0) return "";
  return std::string("this process cannot create a user namespace: unshare(CLONE_NEWUSER): ") +
         std::strerror(WEXITSTATUS(status));
}

std::string PrivateTmpfsUnavailableReason() {
  const int fs = static_cast<int>(syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC));
  if (fs < 0) {
    const int err = errno;
    // Named so CI's accepted skips (report/accepted_skips.tsv) cover the missing privilege,
    // and only it: any other refusal stays an unexpected skip there.
    const char* privilege = err == EPERM && geteuid() != 0 ? " needs root" : "";
    return std::string("fsopen(\"tmpfs\")") + privilege + ": " + std::strerror(err);
  }
  std::string why;
  int mount_fd = -1;
  if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0) {
    why = std::string("fsconfig(FSCONFIG_CMD_CREATE): ") + std::strerror(errno);
  } else if ((mount_fd = static_cast<int>(syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0))) < 0) {
    why = std::string("fsmount: ") + std::strerror(errno);
  }
  if (mount_fd >= 0) close(mount_fd);
  close(fs);
  return why;
}

}  // namespace sbx::testing
