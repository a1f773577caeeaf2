#include "sandbox/root/sandbox_root.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "sandbox/base/sys_error.h"
#include "sandbox/base/unique_fd.h"
#include "sandbox/root/beneath.h"
#include "sandbox/root/locked_flags.h"
#include "sandbox/root/remove_tree.h"
#include "sandbox/rules/root_layout.h"

namespace sbx {
namespace {

bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// A given root must not be the host's / nor hold the host's /etc: writing the sandbox's
// passwd there would replace the host's.
void RefuseHostRoot(int root_fd, const std::string& path) {
  struct stat root, host_root, etc, host_etc;
  if (fstat(root_fd, &root) < 0) throw SysError("stat " + path, errno);
  if (stat("/", &host_root) == 0 && SameFile(root, host_root)) {
    throw SysError::Refused("--root " + path + " is the host's /: refused (nothing was written)");
  }
  if (fstatat(root_fd, "etc", &etc, AT_SYMLINK_NOFOLLOW) == 0 && stat("/etc", &host_etc) == 0 &&
      SameFile(etc, host_etc)) {
    throw SysError::Refused("--root " + path +
                            " holds the host's /etc: refused (nothing was written)");
  }
}

// True where the kernel has mount_setattr (5.12+): a call with a bad fd says EBADF, not ENOSYS.
bool HaveMountSetattr() {
  return syscall(SYS_mount_setattr, -1, "", 0, nullptr, 0) < 0 && errno != ENOSYS;
}

// Flags of the mount holding path that a user namespace cannot drop on a bind remount.
unsigned long LockedFlags(const std::string& path) {
  struct statvfs st;
  if (statvfs(path.c_str(), &st) < 0) throw SysError("statvfs " + path, errno);
  return sbx::LockedFlags(st) & ~MS_RDONLY;  // the binds are made read-only anyway
}

// A tmpfs mounted nowhere (fsopen, fsmount: Linux 5.2+), nosuid and nodev, its root
// Nix's chroot's: ours, the build group may enter, nobody else (given here: the mount's fd
// is O_PATH, which fchmod refuses). An empty fd where the caller may not make one (EPERM
// without CAP_SYS_ADMIN, ENOSYS before 5.2).
UniqueFd PrivateTmpfs(gid_t group) {
  UniqueFd fs(static_cast<int>(syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC)));
  const std::string gid = std::to_string(group);
  if (!fs || syscall(SYS_fsconfig, fs.get(), FSCONFIG_SET_STRING, "mode", "0750", 0) < 0 ||
      syscall(SYS_fsconfig, fs.get(), FSCONFIG_SET_STRING, "gid", gid.c_str(), 0) < 0 ||
      syscall(SYS_fsconfig, fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0) {
    return UniqueFd();
  }
  return UniqueFd(static_cast<int>(
      syscall(SYS_fsmount, fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)));
}

constexpr char kPrivateTmpfsName[] = "the sandbox root (a tmpfs of its own)";

}  // namespace

// For kernels without mount_setattr: source's mount and every mount below it (from
// /proc/self/mountinfo), as the builder will see them under root + target; none where the
// builder uses mount_setattr.
std::vector<Remount> SandboxRoot::RemountsFor(const std::string& source,
                                              const std::string& in_root) const {
  if (!remount_) return {};
  std::vector<Remount> remounts = {{in_root, LockedFlags(source)}};
  std::ifstream mountinfo("/proc/self/mountinfo");
  for (std::string line; std::getline(mountinfo, line);) {
    std::istringstream fields(line);
    std::string id, parent, devno, fs_root, mount_point;
    fields >> id >> parent >> devno >> fs_root >> mount_point;
    if (mount_point.size() > source.size() && mount_point.compare(0, source.size(), source) == 0 &&
        mount_point[source.size()] == '/') {
      remounts.push_back({in_root + mount_point.substr(source.size()), LockedFlags(mount_point)});
    }
  }
  return remounts;
}

SandboxRoot::SandboxRoot(const std::optional<std::string>& given_root, gid_t host_gid,
                         const std::function<void(const std::string&)>& on_fresh_root,
                         bool force_remount, FreshRoot fresh)
    : host_gid_(host_gid), fresh_(!given_root), remount_(force_remount || !HaveMountSetattr()) {
  if (!given_root && fresh == FreshRoot::kPrivateTmpfs) {
    root_fd_ = PrivateTmpfs(host_gid);
    private_tmpfs_ = static_cast<bool>(root_fd_);
  }
  if (private_tmpfs_) {
    path_ = ".";
  } else if (given_root) {
    // The user's own path, symlinks and all, resolved once; from here on only the fd is used.
    root_fd_.reset(open(given_root->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root_fd_) throw SysError("opening --root " + *given_root, errno);
    RefuseHostRoot(root_fd_.get(), *given_root);
    char resolved[PATH_MAX];
    if (!realpath(given_root->c_str(), resolved)) throw SysError("resolving " + *given_root, errno);
    path_ = resolved;
  } else {
    // On a tmpfs where there is one: the root is scaffolding for one run.
    std::string tmpl =
        access("/dev/shm", W_OK) == 0 ? "/dev/shm/sbx-root-XXXXXX" : "/tmp/sbx-root-XXXXXX";
    if (!mkdtemp(tmpl.data())) throw SysError("creating a temporary sandbox root", errno);
    path_ = tmpl;
    if (on_fresh_root) {
      try {
        on_fresh_root(path_);
      } catch (...) {
        rmdir(path_.c_str());
        throw;
      }
    }
    root_fd_.reset(open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!root_fd_) {
      const int error = errno;
      rmdir(path_.c_str());
      throw SysError("opening " + path_, error);
    }
  }
}

void SandboxRoot::MakeDir(const std::string& relative_path) {
  if (mkdirat(root_fd_.get(), relative_path.c_str(), 0755) < 0) {
    throw SysError("mkdir " + name() + "/" + relative_path, errno);
  }
  made_.push_back({relative_path, true});
}

// mknod of a regular file needs no privilege and never follows a symlink (EEXIST). A given
// root's own file or device node there is kept as the mount point, never opened.
void SandboxRoot::MakeDevNode(int dev_fd, const char* node) {
  if (mknodat(dev_fd, node, S_IFREG | 0644, 0) == 0) {
    made_.push_back({std::string("dev/") + node, false});
    return;
  }
  struct stat st;
  if (errno != EEXIST || fstatat(dev_fd, node, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
      !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode))) {
    throw SysError("creating " + name() + "/dev/" + node +
                       " (must be a file or a device node, not a symlink or anything else)",
                   errno);
  }
}

void SandboxRoot::MakeDevLink(int dev_fd, const char* const (&link)[2]) {
  if (symlinkat(link[1], dev_fd, link[0]) == 0) {
    made_.push_back({std::string("dev/") + link[0], false});
  } else if (errno != EEXIST) {
    throw SysError("symlink " + name() + "/dev/" + link[0], errno);
  }
}

void SandboxRoot::Populate(const BuilderSteps& steps) {
  const int root_fd = root_fd_.get();
  if (fresh_) {
    // mkdtemp made the root 0700 (opened to others at the end), and no one else can reach a
    // private tmpfs: nobody can have put a symlink on the way, one mkdirat per directory
    // suffices.
    for (const char* dir : kSystemDirs) {
      struct stat st;
      if (lstat(dir, &st) < 0) continue;
      const char* relative = dir + 1;
      if (S_ISLNK(st.st_mode)) {  // merged /usr: /bin -> usr/bin, kept as a link
        char target[PATH_MAX];
        ssize_t n = readlink(dir, target, sizeof target - 1);
        if (n < 0) throw SysError(std::string("readlink ") + dir, errno);
        target[n] = '\0';
        if (symlinkat(target, root_fd, relative) < 0) {
          throw SysError("symlink " + name() + dir, errno);
        }
        made_.push_back({relative, false});
        continue;
      }
      MakeDir(relative);
      binds_.push_back({dir, dir, RemountsFor(dir, path_ + dir)});
    }
    for (const char* dir : kMountPointDirs) MakeDir(dir);
    for (const char* file : kStartEtcFiles) made_.push_back({std::string("etc/") + file, false});
    MakeDir(kTmpDir);
    if (fchmodat(root_fd, kTmpDir, 01777, 0) < 0) {
      throw SysError("chmod 1777 " + name() + "/" + kTmpDir, errno);
    }
  } else {
    for (const char* dir : kMountPointDirs) MakeDirsBeneath(root_fd, dir, 0755, path_);
    UniqueFd tmp = MakeDirsBeneath(root_fd, kTmpDir, 0755, path_);
    if (fchmod(tmp.get(), 01777) < 0) throw SysError("chmod 1777 " + path_ + "/" + kTmpDir, errno);
  }
  UniqueFd dev = OpenBeneath(root_fd, "dev", O_RDONLY | O_DIRECTORY);
  if (!dev) throw SysError("opening " + name() + "/dev", errno);
  for (const char* node : kDevNodes) MakeDevNode(dev.get(), node);
  if (steps.bind_kvm) MakeDevNode(dev.get(), kKvmNode);
  for (const auto& link : kDevLinks) MakeDevLink(dev.get(), link);
  if (steps.link_ptmx) MakeDevLink(dev.get(), kPtmxLink);
  UniqueFd hosts = OpenBeneath(root_fd, "etc/hosts", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const ssize_t hosts_size = sizeof kEtcHosts - 1;
  if (!hosts || write(hosts.get(), kEtcHosts, hosts_size) != hosts_size) {
    throw SysError("writing " + name() + "/etc/hosts (a file, not a symlink)", errno);
  }
  if (fresh_) made_.push_back({"etc/hosts", false});
  // The builder binds the host build dir (or mounts a tmpfs) here.
  std::vector<std::string> build_dirs_made;
  MakeDirsBeneath(root_fd, steps.build_dir, 0755, name(), &build_dirs_made);
  if (fresh_) {
    for (std::string& dir : build_dirs_made) made_.push_back({std::move(dir), true});
  }
  const std::string etc = path_ + "/etc";
  if (private_tmpfs_) {
    // Relative to the builder's working directory (the attached tmpfs), not to ours; the
    // tmpfs's own flags (nosuid, nodev) are repeated by any remount anyway.
    binds_.push_back(
        {etc, "/etc", remount_ ? std::vector<Remount>{{etc, 0}} : std::vector<Remount>{}});
  } else {
    binds_.push_back({etc, "/etc", RemountsFor(etc, etc)});
  }
  if (fresh_ && !private_tmpfs_) {
    // Nix's chroot: root-owned, the build group may enter, nobody else.
    const bool chowned = fchown(root_fd, 0, host_gid_) == 0;
    fchmod(root_fd, chowned ? 0750 : 0755);
  }
}

// A fresh root: each entry made is removed by name, newest first, beneath directory fds
// opened without following symlinks. A directory that is not empty (the builder wrote into
// it) is walked; so is the root when something the builder made is left in it.
void SandboxRoot::Remove() {
  // A private tmpfs goes with the last reference to it: ours, or the builder's namespace.
  if (!fresh_ || private_tmpfs_) return;
  std::vector<std::pair<std::string, UniqueFd>> parents;  // by path relative to the root
  auto parent_fd = [&](const std::string& dir) {
    if (dir.empty()) return root_fd_.get();
    for (const auto& [path, fd] : parents) {
      if (path == dir) return fd.get();
    }
    parents.emplace_back(dir, OpenBeneath(root_fd_.get(), dir, O_RDONLY | O_DIRECTORY));
    return parents.back().second.get();
  };
  for (auto made = made_.rbegin(); made != made_.rend(); ++made) {
    const size_t slash = made->path.rfind('/');
    const int at = parent_fd(slash == std::string::npos ? "" : made->path.substr(0, slash));
    const char* name = made->path.c_str() + (slash == std::string::npos ? 0 : slash + 1);
    if (at < 0) continue;  // no longer a directory of ours: left to the walk of the root
    if (unlinkat(at, name, made->dir ? AT_REMOVEDIR : 0) < 0 && made->dir && errno == ENOTEMPTY) {
      RemoveTreeAt(at, name);
    }
  }
  parents.clear();
  root_fd_.reset();
  if (rmdir(path_.c_str()) < 0 && errno == ENOTEMPTY) RemoveTree(path_);
}

SandboxRoot::~SandboxRoot() { Remove(); }

std::string SandboxRoot::name() const { return private_tmpfs_ ? kPrivateTmpfsName : path_; }

const char* SandboxRoot::kind() const {
  if (private_tmpfs_) return "tmpfs";
  return fresh_ ? "directory" : "given";
}

}  // namespace sbx
