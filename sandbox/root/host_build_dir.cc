#include "sandbox/root/host_build_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "sandbox/base/sys_error.h"
#include "sandbox/root/locked_flags.h"
#include "sandbox/root/remove_tree.h"

namespace sbx {
namespace {

constexpr char kBuild[] = "build";

}  // namespace

std::string HostBuildDir::Parent() {
  const char* tmpdir = std::getenv("TMPDIR");
  return tmpdir && tmpdir[0] == '/' ? tmpdir : "/tmp";
}

HostBuildDir::HostBuildDir(uid_t owner_uid, gid_t owner_gid,
                           const std::function<void(const std::string&)>& on_created) {
  std::string tmpl = Parent() + "/sbx-build-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw SysError("creating the build dir in " + tmpl, errno);
  top_ = tmpl;
  try {
    if (on_created) on_created(top_);
    // mkdtemp made TOP 0700 and ours: nothing in it can have been put there by anyone else.
    top_fd_.reset(open(top_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!top_fd_) throw SysError("opening " + top_, errno);
    // The build group may pass through TOP (a builder with a uid range binds as its
    // namespace's root, host uid the build user's), nobody but us may change it.
    if (fchown(top_fd_.get(), -1, owner_gid) < 0 || fchmod(top_fd_.get(), 0710) < 0) {
      throw SysError("chmod 0710 " + top_, errno);
    }
    if (mkdirat(top_fd_.get(), kBuild, 0700) < 0) throw SysError("mkdir " + top_ + "/build", errno);
    build_fd_.reset(openat(top_fd_.get(), kBuild, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!build_fd_) throw SysError("opening " + top_ + "/build", errno);
    struct stat st;
    if (fstat(build_fd_.get(), &st) < 0) throw SysError("stat " + top_ + "/build", errno);
    if ((st.st_uid != owner_uid || st.st_gid != owner_gid) &&
        fchown(build_fd_.get(), owner_uid, owner_gid) < 0) {
      throw SysError("giving " + top_ + "/build to the sandbox user", errno);
    }
  } catch (...) {
    build_fd_.reset();
    top_fd_.reset();
    RemoveTree(top_);
    throw;
  }
}

HostBuildDir::~HostBuildDir() {
  // Most builds leave their build dir empty (a command's own temporary files are gone):
  // two rmdirs then, and a walk only where something was left.
  build_fd_.reset();
  const bool emptied = unlinkat(top_fd_.get(), kBuild, AT_REMOVEDIR) == 0;
  top_fd_.reset();
  if (emptied && rmdir(top_.c_str()) == 0) return;
  RemoveTree(top_);
}

BuildDirBind HostBuildDir::Bind() const {
  struct statvfs st;
  if (fstatvfs(top_fd_.get(), &st) < 0) throw SysError("statvfs " + top_, errno);
  return {.source = top_ + "/" + kBuild, .locked = LockedFlags(st)};
}

}  // namespace sbx
