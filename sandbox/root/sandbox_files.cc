#include "sandbox/root/sandbox_files.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "sandbox/base/sys_error.h"
#include "sandbox/base/syscalls.h"
#include "sandbox/base/unique_fd.h"
#include "sandbox/root/beneath.h"
#include "sandbox/rules/root_layout.h"

namespace sbx {
namespace {

// A temporary file in etc_fd holding `content`, to be renamed over its final name. Unique
// per thread, so that concurrent starts into one root do not collide.
class StagedFile {
 public:
  StagedFile(int etc_fd, const std::string& name, std::string_view content,
             const std::string& where)
      : etc_fd_(etc_fd),
        name_(name),
        tmp_("." + name + ".sbx-" + std::to_string(gettid())),
        old_("." + name + ".sbx-old-" + std::to_string(gettid())) {
    // 0644 owned by the host's root, as Nix's (read-only inside: /etc is bound read-only).
    UniqueFd fd = OpenBeneath(etc_fd, tmp_, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (!fd) throw SysError("creating " + where + "/" + tmp_, errno);
    while (!content.empty()) {
      ssize_t n = sys::Write(fd.get(), content.data(), content.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int error = n < 0 ? errno : EIO;
        unlinkat(etc_fd_, tmp_.c_str(), 0);  // no destructor runs for a throwing constructor
        throw SysError("writing " + where + "/" + tmp_, error);
      }
      content.remove_prefix(static_cast<size_t>(n));
    }
    state_ = State::kStaged;
  }
  // The temporary name holds the staged file, or after a swap the old one: either goes.
  ~StagedFile() {
    if (state_ == State::kStaged || state_ == State::kSwapped) unlinkat(etc_fd_, tmp_.c_str(), 0);
    if (kept_old_) unlinkat(etc_fd_, old_.c_str(), 0);
  }
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;

  // Puts the file in place. Where one was there already the two are swapped, so that
  // Rollback can put the old one back. A fresh root, the common case, has none: try that
  // first.
  void Commit(const std::string& where) {
    if (sys::RenameAt2(etc_fd_, tmp_.c_str(), etc_fd_, name_.c_str(), RENAME_NOREPLACE) == 0) {
      state_ = State::kPlaced;
      return;
    }
    if (errno == EEXIST &&
        sys::RenameAt2(etc_fd_, tmp_.c_str(), etc_fd_, name_.c_str(), RENAME_EXCHANGE) == 0) {
      state_ = State::kSwapped;
      return;
    }
    if (errno == EINVAL) return CommitWithoutFlags(where);
    throw SysError("renaming " + where + "/" + tmp_ + " to " + name_, errno);
  }

  // Undoes Commit, after a later failure. Returns errno, 0 when etc is as it was.
  int Rollback() noexcept {
    if (state_ == State::kSwapped) {
      if (sys::RenameAt2(etc_fd_, tmp_.c_str(), etc_fd_, name_.c_str(), RENAME_EXCHANGE) != 0) {
        return errno;
      }
      state_ = State::kStaged;
    } else if (state_ == State::kPlaced && kept_old_) {
      if (sys::RenameAt2(etc_fd_, old_.c_str(), etc_fd_, name_.c_str(), 0) != 0) return errno;
      kept_old_ = false;
      state_ = State::kNone;
    } else if (state_ == State::kPlaced) {
      if (sys::UnlinkAt(etc_fd_, name_.c_str(), 0) != 0) return errno;
      state_ = State::kNone;
    }
    return 0;
  }

 private:
  // A file system without rename flags (EINVAL). A plain rename replaces atomically but
  // drops what it replaces: the old file is first linked to a second name, for Rollback.
  void CommitWithoutFlags(const std::string& where) {
    if (sys::LinkAt(etc_fd_, name_.c_str(), etc_fd_, old_.c_str(), 0) == 0) {
      kept_old_ = true;
    } else if (errno != ENOENT) {
      throw SysError("keeping " + where + "/" + name_ + " as " + old_, errno);
    }
    if (sys::RenameAt2(etc_fd_, tmp_.c_str(), etc_fd_, name_.c_str(), 0) != 0) {
      throw SysError("renaming " + where + "/" + tmp_ + " to " + name_, errno);
    }
    state_ = State::kPlaced;
  }

 private:
  enum class State { kNone, kStaged, kSwapped, kPlaced };
  int etc_fd_;
  std::string name_, tmp_, old_;
  State state_ = State::kNone;
  bool kept_old_ = false;  // old_ links the file Commit replaced
};

}  // namespace

void WriteEtcFiles(const std::string& sandbox_root, const EtcFiles& files) {
  // The root is the caller's path; etc and everything in it are beneath it (beneath.h).
  UniqueFd root(sys::OpenAt(AT_FDCWD, sandbox_root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw SysError("opening the sandbox root for " + sandbox_root + "/etc", errno);
  WriteEtcFilesAt(root.get(), sandbox_root, files);
}

void WriteEtcFilesAt(int root_fd, const std::string& root_name, const EtcFiles& files) {
  const std::string where = root_name + "/etc";
  UniqueFd etc = OpenBeneath(root_fd, "etc", O_RDONLY | O_DIRECTORY);
  if (!etc) throw SysError("opening " + where + " (must be a directory, not a symlink)", errno);
  // Both written in full before either is renamed into place, and the first put back if the
  // second cannot be: a failure leaves the root's etc as it was.
  StagedFile passwd(etc.get(), kEtcPasswd, files.passwd, where);
  StagedFile group(etc.get(), kEtcGroup, files.group, where);
  passwd.Commit(where);
  try {
    group.Commit(where);
  } catch (const SysError& e) {
    // A rollback that fails leaves the new passwd with the old group: say so.
    if (int error = passwd.Rollback()) {
      throw SysError(e.step() + " (" + std::strerror(e.error()) + "), then putting " + where + "/" +
                         kEtcPasswd + " back",
                     error);
    }
    throw;
  }
}

}  // namespace sbx
