#include "sandbox/start/userns_probe.h"

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace sbx {
namespace {

int ExitAtOnce(void*) { return 0; }

// The first line of a file, or a note that it is not there.
std::string FirstLine(const char* path) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return "(absent)";
  return line;
}

}  // namespace

UserNamespaceSupport ProbeUserNamespacesNow() {
  // The child only exits: it can share our memory (no page tables copied) while we wait.
  alignas(16) char stack[16 * 1024];  // ours, on our stack: we are suspended meanwhile
  pid_t pid = clone(ExitAtOnce, stack + sizeof stack,
                    CLONE_NEWUSER | CLONE_VM | CLONE_VFORK | SIGCHLD, nullptr);
  if (pid > 0) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {.works = true};
  }
  const int error = pid < 0 ? errno : 0;
  char link[256] = "(unreadable)";
  ssize_t n = readlink("/proc/self/ns/user", link, sizeof link - 1);
  if (n >= 0) link[n] = '\0';
  return {.works = false,
          .diagnostics =
              std::string("clone(CLONE_NEWUSER): ") +
              (error ? std::strerror(error) : "the child failed") +
              "; /proc/self/ns/user: " + (n >= 0 ? link : "(unreadable)") +
              "; user.max_user_namespaces: " + FirstLine("/proc/sys/user/max_user_namespaces") +
              "; kernel.unprivileged_userns_clone: " +
              FirstLine("/proc/sys/kernel/unprivileged_userns_clone")};
}

std::string UserNamespacesUnavailableError() {
  const UserNamespaceSupport& support = ProbeUserNamespaces();
  if (support.works) return "";
  return "cannot perform a sandboxed build because user namespaces are not available (" +
         support.diagnostics + ")";
}

const UserNamespaceSupport& ProbeUserNamespaces() {
  static const UserNamespaceSupport support = ProbeUserNamespacesNow();  // once, thread-safe
  return support;
}

}  // namespace sbx
