// What an unprivileged test does to get a namespace that only root may make: a user
// namespace of its own, mapping its own ids.
#pragma once

#include <sys/types.h>

namespace sbx::testing {

// Moves this process into a new user namespace, together with the namespaces in `more`
// (CLONE_NEWNS, CLONE_NEWPID, ...), where its euid and egid read as `uid` and `gid` (one id
// each; setgroups denied, as an unprivileged gid_map needs). False when a step fails.
bool UnshareOwnUserNamespace(int more, uid_t uid, gid_t gid);

}  // namespace sbx::testing
