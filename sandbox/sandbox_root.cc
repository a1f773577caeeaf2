#include "sandbox/sandbox_root.h"

#include <fcntl.h>
#include <ftw.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "sandbox/sys_error.h"
#include "sandbox/unique_fd.h"

namespace sbx {
namespace {

// System directories bound read-only into a fresh root, where the host has them.
constexpr const char* kSystemDirs[] = {"/usr", "/bin", "/sbin", "/lib", "/lib64"};

void MakeDir(const std::string& path, mode_t mode) {
  if (mkdir(path.c_str(), mode) < 0 && errno != EEXIST) throw SysError("mkdir " + path, errno);
}

// mkdir -p of relative_path under dir_fd, never following a symlink (a given root is not
// ours: root/build -> /etc must not make us chown /etc). Returns the last directory.
UniqueFd OpenDirsBeneath(int dir_fd, const std::string& root, const std::string& relative_path) {
  UniqueFd current(fcntl(dir_fd, F_DUPFD_CLOEXEC, 0));
  std::string done = root;
  size_t start = 0;
  while (start < relative_path.size()) {
    size_t end = relative_path.find('/', start);
    if (end == std::string::npos) end = relative_path.size();
    const std::string name = relative_path.substr(start, end - start);
    start = end + 1;
    if (name.empty() || name == ".") continue;
    if (name == "..") throw SysError("the build dir " + relative_path + " leaves the root", EINVAL);
    done += "/" + name;
    if (mkdirat(current.get(), name.c_str(), 0755) < 0 && errno != EEXIST) {
      throw SysError("mkdir " + done, errno);
    }
    UniqueFd next(
        openat(current.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next) throw SysError("opening " + done + " (must be a directory, not a symlink)", errno);
    current = std::move(next);
  }
  return current;
}

// Flags of the mount holding path that a user namespace cannot drop on a bind remount.
unsigned long LockedFlags(const std::string& path) {
  struct statvfs st;
  if (statvfs(path.c_str(), &st) < 0) throw SysError("statvfs " + path, errno);
  unsigned long flags = 0;
  if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (st.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  return flags;
}

int RemoveEntry(const char* path, const struct stat*, int type, struct FTW*) {
  (type == FTW_DP ? rmdir : unlink)(path);
  return 0;
}

}  // namespace

SandboxRoot::SandboxRoot(const std::optional<std::string>& given_root, const std::string& build_dir,
                         uid_t host_uid, gid_t host_gid)
    : fresh_(!given_root) {
  if (given_root) {
    path_ = *given_root;
  } else {
    // On a tmpfs where there is one: the root is scaffolding for one run, and creating and
    // removing it on a disk file system costs about a millisecond.
    std::string tmpl =
        access("/dev/shm", W_OK) == 0 ? "/dev/shm/sbx-root-XXXXXX" : "/tmp/sbx-root-XXXXXX";
    if (!mkdtemp(tmpl.data())) throw SysError("creating a temporary sandbox root", errno);
    path_ = tmpl;
  }
  try {
    Populate(build_dir, host_uid, host_gid);
  } catch (...) {
    Remove();  // a destructor does not run for a constructor that throws
    throw;
  }
}

void SandboxRoot::Populate(const std::string& build_dir, uid_t host_uid, gid_t host_gid) {
  if (fresh_) {
    chmod(path_.c_str(), 0755);
    for (const char* dir : kSystemDirs) {
      struct stat st;
      if (lstat(dir, &st) < 0) continue;
      if (S_ISLNK(st.st_mode)) {  // merged /usr: /bin -> usr/bin, kept as a link
        char target[4096];
        ssize_t n = readlink(dir, target, sizeof target - 1);
        if (n < 0) throw SysError(std::string("readlink ") + dir, errno);
        target[n] = '\0';
        if (symlink(target, (path_ + dir).c_str()) < 0) {
          throw SysError("symlink " + path_ + dir, errno);
        }
        continue;
      }
      MakeDir(path_ + dir, 0755);
      binds_.push_back({dir, dir, LockedFlags(dir)});
    }
  }
  UniqueFd root(open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw SysError("opening sandbox root " + path_, errno);
  for (const char* dir : {"etc", "proc", "dev", "tmp"}) OpenDirsBeneath(root.get(), path_, dir);
  UniqueFd build = OpenDirsBeneath(root.get(), path_, build_dir);
  // The builder owns its build dir (spec 29); as the host sees it, that is the host ids.
  // An unprivileged caller can only give it to itself, which is what it maps (EPERM), and
  // ids not mapped in our own namespace cannot be given at all (EINVAL).
  if (fchown(build.get(), host_uid, host_gid) < 0 && errno != EPERM && errno != EINVAL) {
    throw SysError("chown " + path_ + build_dir, errno);
  }
  binds_.push_back({path_ + "/etc", "/etc", LockedFlags(path_)});
}

void SandboxRoot::Remove() {
  if (fresh_) nftw(path_.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

SandboxRoot::~SandboxRoot() { Remove(); }

}  // namespace sbx
