#include "sandbox/launcher.h"

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>

#include "sandbox/sys_error.h"
#include "sandbox/syscalls.h"

namespace sbx {

int NamespaceFlags(const StartConfig& config) {
  int flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS;
  if (config.private_network) flags |= CLONE_NEWNET;
  if (config.use_user_namespace) flags |= CLONE_NEWUSER;
  return flags;
}

void KillAndReap(pid_t pid) {
  kill(pid, SIGKILL);
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

void DropSupplementaryGroups(bool required) {
  if (sys::Setgroups(0, nullptr) == 0) return;
  if (errno != EPERM) throw SysError("setgroups failed", errno);
  if (required) {
    throw SysError(
        "setgroups failed. Set the require-drop-supplementary-groups option to false to skip "
        "this step.",
        errno);
  }
}

}  // namespace sbx
