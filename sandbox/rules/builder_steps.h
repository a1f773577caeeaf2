// What the builder does after release (spec 29-30), decided by the plan: which ids it
// becomes, the build dir it works in, its network, command and environment. What is only
// known once the root exists (its path, the binds, fds) is added by sandbox/builder's
// RunChildPlan, which carries these steps out.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sbx {

struct BuilderSteps {
  bool bring_up_loopback = true;        // a private network has a loopback to bring up
  std::string build_dir;                // inside the sandbox: the working directory
  // As Nix's: a host directory (on disk, beneath $TMPDIR) bound there; or, asked for or
  // where the caller could not remove what the builder leaves, a tmpfs of these options.
  bool build_dir_tmpfs = false;
  std::string build_dir_tmpfs_options;  // mode=0700,uid=U,gid=G: the sandbox user's alone
  bool bind_kvm = false;  // Nix's kvm system feature: the host's /dev/kvm, where usable
  bool link_ptmx = true;  // /dev/ptmx -> pts/ptmx, where the host has /dev/pts/ptmx (as Nix)
  uint32_t uid = 0;                     // sandbox ids to switch to
  uint32_t gid = 0;
  std::vector<std::string> argv;  // the command; empty when the caller runs its own
  // Nix's build environment (spec 30), with a PATH of the sandbox's system dirs where Nix
  // sets /path-not-set, so that a bare command runs.
  std::vector<std::string> environment;
};

}  // namespace sbx
