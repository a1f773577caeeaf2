#include "sandbox/start/launcher.h"

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>

#include "sandbox/base/sys_error.h"
#include "sandbox/base/syscalls.h"

namespace sbx {

void KillAndReap(pid_t pid) {
  kill(pid, SIGKILL);
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "ended with wait status " + std::to_string(status);
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
