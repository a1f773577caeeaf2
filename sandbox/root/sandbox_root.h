// The root directory `sbx run` chroots the builder into, prepared entirely by the parent
// before the start, as Nix prepares its chroot: the builder only mounts onto what is here.
// Either fresh (with mount points for the read-only system binds), or one the user gives
// with --root. A fresh root is a tmpfs of its own where the caller may make one: mounted
// nowhere in the caller's mount namespace (the builder attaches it in its own), so no other
// process can reach it, and it goes with its last reference, with nothing to remove. Else it
// is a temporary directory under /dev/shm where that is writable, else /tmp.
//
// Nothing is ever written outside the root: every file is created beneath a directory fd
// without following a symlink (beneath.h), and a --root that is the host's / or holds the
// host's /etc (by device and inode) is refused before anything is written.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/base/unique_fd.h"
#include "sandbox/rules/bind_mounts.h"
#include "sandbox/rules/builder_steps.h"

namespace sbx {

// What a fresh root is, where there is a choice.
enum class FreshRoot {
  kDirectory,     // a temporary directory, removed afterwards
  kPrivateTmpfs,  // a tmpfs of its own (fsopen: CAP_SYS_ADMIN, Linux 5.2+), else a directory
};

class SandboxRoot {
 public:
  // Creates or checks the root; Populate makes its contents. Two steps, so that a start can
  // hand a private tmpfs's fd to the builder at its clone and fill it while the builder
  // makes its namespaces. A fresh root is mode 0750, owned by root and the build group
  // where we may chown (as Nix's), else 0755. Throws SysError; a fresh root is removed again
  // on failure. `on_fresh_root` hears a fresh directory's path as soon as it exists.
  // `force_remount`: list the mounts to remount one by one even where the kernel has
  // mount_setattr (tests).
  SandboxRoot(const std::optional<std::string>& given_root, gid_t host_gid,
              const std::function<void(const std::string&)>& on_fresh_root = nullptr,
              bool force_remount = false, FreshRoot fresh = FreshRoot::kDirectory);
  // Makes the mount points: etc, proc, dev (empty files for the host devices where a given
  // root has no file or device node of its own, /dev/kvm too where steps bind it, and the
  // fd and ptmx links), dev/shm, tmp (1777) and the build dir. Throws SysError; what it made
  // goes with the root.
  void Populate(const BuilderSteps& steps);
  // Removes a fresh root (without following symlinks or crossing mounts); leaves a given
  // one alone. What the root was made of is removed by name, so only a directory the builder
  // wrote into is listed.
  ~SandboxRoot();
  SandboxRoot(const SandboxRoot&) = delete;
  SandboxRoot& operator=(const SandboxRoot&) = delete;

  // Where the builder finds the root before its chroot: a host path, or "." for a private
  // tmpfs (the builder's working directory once it has attached it).
  const std::string& path() const { return path_; }
  // The private tmpfs's mount (a detached mount fd, for the builder to attach), else -1.
  int mount_fd() const { return private_tmpfs_ ? root_fd_.get() : -1; }
  // For messages: the path, or what the root is when it has none.
  std::string name() const;
  // "tmpfs" (a private one), "directory" (a fresh one) or "given".
  const char* kind() const;
  // How the builder makes the binds read-only: "mount_setattr" or "remount".
  const char* read_only_path() const { return remount_ ? "remount" : "mount_setattr"; }
  // The read-only binds for RunChildPlan: system dirs (fresh root only), then etc.
  const std::vector<BindMount>& read_only_binds() const { return binds_; }

 private:
  // An entry of a fresh root, by its path relative to the root.
  struct Made {
    std::string path;
    bool dir;
  };

  void MakeDevNode(int dev_fd, const char* node);
  void MakeDevLink(int dev_fd, const char* const (&link)[2]);
  void MakeDir(const std::string& relative_path);
  std::vector<Remount> RemountsFor(const std::string& source, const std::string& in_root) const;
  void Remove();

  std::string path_;
  gid_t host_gid_;
  bool fresh_;
  bool private_tmpfs_ = false;
  bool remount_;
  UniqueFd root_fd_;
  std::vector<BindMount> binds_;
  std::vector<Made> made_;  // a fresh root's entries in the order made; removed in reverse
};

}  // namespace sbx
