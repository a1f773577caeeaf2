// The build dir on the host, as Nix makes it: TOP/build, mode 0700, owned by the sandbox
// user's host ids, which the builder binds onto its build dir (/build). TOP is a new
// directory beneath $TMPDIR (else /tmp), the caller's, mode 0710 with the build group (which
// may pass through it, not change it): the bind goes by path (an fd
// names a mount of the parent's namespace, which the builder's cannot bind), so no one else
// may be able to rename or replace anything on it, not even the build user who owns
// TOP/build (Nix's fix of CVE-2024-38531). On disk, not in memory: a build that writes
// gigabytes fills the disk, as under Nix. TOP is removed afterwards with whatever the
// builder left in it (remove_tree.h).
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "sandbox/base/unique_fd.h"
#include "sandbox/rules/bind_mounts.h"

namespace sbx {

class HostBuildDir {
 public:
  // `on_created` hears TOP as soon as it exists, before anything is put in it (the leftover
  // guard). Throws SysError; nothing is left on failure.
  HostBuildDir(uid_t owner_uid, gid_t owner_gid,
               const std::function<void(const std::string&)>& on_created = nullptr);
  ~HostBuildDir();
  HostBuildDir(const HostBuildDir&) = delete;
  HostBuildDir& operator=(const HostBuildDir&) = delete;

  // Where TOP is made: $TMPDIR where it is absolute, else /tmp.
  static std::string Parent();

  const std::string& top() const { return top_; }
  // TOP and TOP/build, open until the destructor removes them.
  int top_fd() const { return top_fd_.get(); }
  int build_fd() const { return build_fd_.get(); }
  // What the builder binds (TOP/build), and the flags of its mount that a user namespace
  // must keep.
  BuildDirBind Bind() const;

 private:
  std::string top_;
  UniqueFd top_fd_;
  UniqueFd build_fd_;
};

}  // namespace sbx
