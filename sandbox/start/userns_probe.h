// Spec 2: whether user namespaces work is found out by trying, once per process: clone a
// child with CLONE_NEWUSER that exits at once (Lix e3b702fa2; sysctls do not tell the
// whole story: seccomp, LSMs and nesting limits can forbid it too).
#pragma once

#include <string>

namespace sbx {

struct UserNamespaceSupport {
  bool works = false;
  // When it does not: the clone's error and what the usual knobs say
  // (/proc/self/ns/user, user.max_user_namespaces, kernel.unprivileged_userns_clone).
  std::string diagnostics;
};

// Probes on the first call; later calls return the same answer.
const UserNamespaceSupport& ProbeUserNamespaces();

// Spec 3's error when user namespaces do not work, with the probe's findings; "" when
// they do.
std::string UserNamespacesUnavailableError();

// Probes now, without the cache (a forked child inherits the cached answer).
UserNamespaceSupport ProbeUserNamespacesNow();

}  // namespace sbx
