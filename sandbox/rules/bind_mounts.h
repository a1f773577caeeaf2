// The host paths the builder binds into its root, as the parent found them when it prepared
// the root (sandbox/root) and as the builder mounts them after release (sandbox/builder).
#pragma once

#include <string>
#include <vector>

namespace sbx {

// A mount below a read-only bind, remounted one by one where the kernel has no
// mount_setattr (before 5.12).
struct Remount {
  std::string path;          // host path of the mount in the builder's view (under the root)
  unsigned long locked = 0;  // flags a user namespace cannot drop (nosuid, nodev, atime...)
};

struct BindMount {
  std::string source;  // host path
  std::string target;  // path under the root
  // Empty: one recursive mount_setattr. Else (a kernel without it) the bound mount and
  // every mount below it, remounted one by one.
  std::vector<Remount> remounts;
};

// The host build dir the builder binds onto steps.build_dir (unless steps.build_dir_tmpfs).
struct BuildDirBind {
  std::string source;        // host path (HostBuildDir: beneath a directory only we may change)
  unsigned long locked = 0;  // flags of its mount a user namespace cannot drop (remount)
};

}  // namespace sbx
