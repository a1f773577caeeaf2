#include "sandbox/start/launcher.h"

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>

#include "sandbox/rules/sys_error.h"
#include "sandbox/start/syscalls.h"

namespace sbx {

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
