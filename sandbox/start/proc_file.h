// The one way the start opens /proc/PID/NAME (the child's maps, setgroups and namespaces),
// through the syscall seam. No /proc fd is kept: a library must not hold fds its caller
// did not ask for.
#pragma once

#include <sys/types.h>

#include "sandbox/base/unique_fd.h"

namespace sbx {

// open("/proc/PID/name", flags | O_CLOEXEC); an invalid fd and errno on failure.
UniqueFd OpenProcFile(pid_t pid, const char* name, int flags);

}  // namespace sbx
