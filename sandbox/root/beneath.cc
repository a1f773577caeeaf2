#include "sandbox/root/beneath.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>
#include <vector>

#include "sandbox/base/sys_error.h"
#include "sandbox/base/syscalls.h"

namespace sbx {
namespace {

// The components of a relative path; "." and empty ones dropped.
std::vector<std::string> Components(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (!part.empty() && part != ".") parts.push_back(std::move(part));
    start = end + 1;
  }
  return parts;
}

UniqueFd OpenByComponents(int dir_fd, const std::vector<std::string>& parts, int flags,
                          mode_t mode) {
  UniqueFd current;
  int at = dir_fd;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i] == "..") {
      errno = EXDEV;
      return UniqueFd();
    }
    const bool last = i + 1 == parts.size();
    const int step_flags = last ? flags | O_NOFOLLOW : O_PATH | O_DIRECTORY | O_NOFOLLOW;
    UniqueFd next(sys::OpenAt(at, parts[i].c_str(), step_flags | O_CLOEXEC, mode));
    if (!next) return next;
    current = std::move(next);
    at = current.get();
  }
  return current;
}

}  // namespace

UniqueFd OpenBeneath(int dir_fd, const std::string& relative_path, int flags, mode_t mode) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  const int fd = sys::OpenAt2(dir_fd, relative_path.c_str(), how);
  if (fd >= 0 || errno != ENOSYS) return UniqueFd(fd);
  std::vector<std::string> parts = Components(relative_path);
  if (parts.empty()) parts.push_back(".");
  return OpenByComponents(dir_fd, parts, flags, mode);
}

UniqueFd MakeDirsBeneath(int dir_fd, const std::string& relative_path, mode_t mode,
                         const std::string& display_root, std::vector<std::string>* made) {
  UniqueFd current;
  int at = dir_fd;
  std::string done;  // relative to dir_fd
  for (const std::string& name : Components(relative_path)) {
    done += done.empty() ? name : "/" + name;
    if (name == "..") throw SysError(display_root + "/" + done + " leaves the sandbox root", EXDEV);
    // mkdirat never follows a symlink in its last component (EEXIST), and the open below
    // refuses one, so each step stays beneath the root.
    if (mkdirat(at, name.c_str(), mode) == 0) {
      if (made) made->push_back(done);
    } else if (errno != EEXIST) {
      throw SysError("mkdir " + display_root + "/" + done, errno);
    }
    UniqueFd next(openat(at, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next) {
      throw SysError(
          "opening " + display_root + "/" + done + " (must be a directory, not a symlink)", errno);
    }
    current = std::move(next);
    at = current.get();
  }
  if (!current) {  // an empty path names dir_fd itself
    current.reset(fcntl(dir_fd, F_DUPFD_CLOEXEC, 0));
    if (!current) throw SysError("duplicating the fd of " + display_root, errno);
  }
  return current;
}

}  // namespace sbx
