#include "sandbox/sandbox_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

#include "sandbox/sys_error.h"
#include "sandbox/syscalls.h"
#include "sandbox/unique_fd.h"

namespace sbx {
namespace {

// Writes one file as TMP then renames it to NAME, all relative to etc_fd.
void WriteAtomically(int etc_fd, const std::string& name, std::string_view content,
                     const std::string& where) {
  // Unique per thread, so that concurrent starts into one root do not collide. Created
  // read-only at once: the fd still writes, and nothing can open it for writing meanwhile.
  const std::string tmp = "." + name + ".sbx-" + std::to_string(gettid());
  UniqueFd fd(
      sys::OpenAt(etc_fd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444));
  if (!fd) throw SysError("creating " + where + "/" + tmp, errno);
  auto fail = [&](const std::string& step) {
    int error = errno;
    fd.reset();
    sys::UnlinkAt(etc_fd, tmp.c_str(), 0);
    throw SysError(step, error);
  };
  while (!content.empty()) {
    ssize_t n = sys::Write(fd.get(), content.data(), content.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("writing " + where + "/" + name);
    content.remove_prefix(static_cast<size_t>(n));
  }
  if (sys::RenameAt(etc_fd, tmp.c_str(), etc_fd, name.c_str()) < 0) {
    fail("renaming " + where + "/" + tmp + " to " + name);
  }
}

}  // namespace

void WriteEtcFiles(const std::string& sandbox_root, const EtcFiles& files) {
  UniqueFd root(sys::OpenAt(AT_FDCWD, sandbox_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw SysError("opening sandbox root " + sandbox_root, errno);
  const std::string where = sandbox_root + "/etc";
  UniqueFd etc(sys::OpenAt(root.get(), "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!etc) throw SysError("opening " + where + " (must be a directory, not a symlink)", errno);
  WriteAtomically(etc.get(), "passwd", files.passwd, where);
  WriteAtomically(etc.get(), "group", files.group, where);
}

}  // namespace sbx
