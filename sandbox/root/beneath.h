// Paths beneath a directory fd, never following a symlink: how every file of a sandbox root
// is created, so that a root we did not make (`sbx run --root`) cannot redirect a write or a
// chown to the host (a root/etc -> /etc link, a build dir -> / link).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "sandbox/base/unique_fd.h"

namespace sbx {

// openat(dir_fd, relative_path, flags) where no component may be a symlink or "..", with
// openat2's RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS where the kernel has it (5.6+), else one
// O_NOFOLLOW component at a time. An invalid fd and errno on failure (ELOOP or ENOTDIR for
// a symlink on the way, EXDEV for "..").
UniqueFd OpenBeneath(int dir_fd, const std::string& relative_path, int flags, mode_t mode = 0);

// mkdir -p of relative_path beneath dir_fd (new directories get `mode`), then an O_PATH-free
// directory fd of the last one. Throws SysError naming `display_root` + the path. `made`, if
// given, gets the path (relative to dir_fd) of each directory this call created, in order.
UniqueFd MakeDirsBeneath(int dir_fd, const std::string& relative_path, mode_t mode,
                         const std::string& display_root, std::vector<std::string>* made = nullptr);

}  // namespace sbx
