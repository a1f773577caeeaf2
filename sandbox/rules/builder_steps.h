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
  std::string build_dir;                // inside the sandbox: a tmpfs, the working directory
  std::string build_dir_tmpfs_options;  // mode=0700,uid=U,gid=G: the sandbox user's alone
  uint32_t uid = 0;                     // sandbox ids to switch to
  uint32_t gid = 0;
  std::vector<std::string> argv;  // the command; empty when the caller runs its own
  // Nix's build environment (spec 30), with a PATH of the sandbox's system dirs where Nix
  // sets /path-not-set, so that a bare command runs.
  std::vector<std::string> environment;
};

}  // namespace sbx
