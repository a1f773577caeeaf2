// The root directory `sbx run` chroots the builder into: a fresh one in a temporary
// directory (under /dev/shm where it is writable, else /tmp) (mount points for the read-only system
// binds, proc, dev, tmp, etc and the build dir), or one the user gives with --root. Built by the
// parent before the start, so that the child (which may run on the parent's memory) only mounts.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "sandbox/run_child.h"

namespace sbx {

class SandboxRoot {
 public:
  // Creates the root (fresh when given_root is empty) with its mount points and a build
  // dir owned by host_uid:host_gid. Throws SysError.
  SandboxRoot(const std::optional<std::string>& given_root, const std::string& build_dir,
              uid_t host_uid, gid_t host_gid);
  // Removes a fresh root (without following symlinks); leaves a given one alone.
  ~SandboxRoot();
  SandboxRoot(const SandboxRoot&) = delete;
  SandboxRoot& operator=(const SandboxRoot&) = delete;

  const std::string& path() const { return path_; }
  // The read-only binds for RunChildPlan: system dirs (fresh root only), then etc.
  const std::vector<BindMount>& read_only_binds() const { return binds_; }

 private:
  void Populate(const std::string& build_dir, uid_t host_uid, gid_t host_gid);
  void Remove();

  std::string path_;
  bool fresh_;
  std::vector<BindMount> binds_;
};

}  // namespace sbx
