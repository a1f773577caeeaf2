#include "bench/privileges.h"

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sbx_bench {
namespace {

std::optional<std::string> Probe() {
  if (geteuid() != 0) return "needs root (euid " + std::to_string(geteuid()) + ")";
  // Probe by doing it, as Lix does: sysctls do not tell the whole story (seccomp, LSMs).
  alignas(16) static char stack[16 * 1024];
  pid_t pid = clone([](void*) -> int { return 0; }, stack + sizeof(stack), CLONE_NEWUSER | SIGCHLD,
                    nullptr);
  if (pid < 0) {
    return std::string("user namespaces unavailable: clone(CLONE_NEWUSER): ") +
           std::strerror(errno);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "user namespace probe child failed";
  return std::nullopt;
}

}  // namespace

const std::optional<std::string>& WhyNoSandbox() {
  static const std::optional<std::string> why = Probe();
  return why;
}

}  // namespace sbx_bench
