// Writes the child's uid_map, setgroups and gid_map (spec 22): each in one write, in the
// identity's order. When the kernel refuses a direct write because the caller is
// unprivileged and maps more than its own id, newuidmap/newgidmap (package uidmap, setuid
// root, checking /etc/subuid and /etc/subgid) write the map instead, as crun and runc do.
#pragma once

#include <sys/types.h>

#include "sandbox/rules/identity.h"

namespace sbx {

// Throws SysError naming the file and the content at fault.
void WriteIdMaps(pid_t pid, const Identity& identity);

}  // namespace sbx
