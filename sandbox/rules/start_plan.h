// Everything a sandbox start decides, decided once, before any process exists: whether a
// user namespace is used (spec 2-3), who the builder is and the exact map writes (spec
// 19-23), the etc files (spec 24-26), the clone flags (spec 11), the setgroups policy
// (spec 10) and the builder's steps after release (spec 29-30). StartChild carries a plan
// out, sandbox/builder's RunChild the builder's steps; `sbx files` prints one, so what it
// shows and what `sbx run` writes cannot differ.
#pragma once

#include <sched.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/rules/builder_steps.h"
#include "sandbox/rules/identity.h"
#include "sandbox/rules/passwd.h"
#include "sandbox/rules/start_config.h"

namespace sbx {

// What a plan depends on besides its config, so that tests can give it.
struct HostFacts {
  bool user_namespaces_work = true;
  std::string user_namespaces_error;  // spec 3's message, with the probe's findings
  uint32_t uid = 0;                   // real ids of the caller
  uint32_t gid = 0;
  uint32_t cores = 1;       // online CPUs: Nix's default build-cores (NIX_BUILD_CORES)
  bool kvm_usable = false;  // access("/dev/kvm", R_OK | W_OK): Nix's default kvm feature
  bool pts_ptmx = true;     // the host has /dev/pts/ptmx
};

struct StartPlan {
  StartMode mode = StartMode::kLix;
  bool use_user_namespace = true;  // as decided, not as asked for
  int clone_flags = 0;             // CLONE_NEW* of spec 11; launchers add their own bits
  Identity identity;               // sandbox and host ids, map writes in order
  EtcFiles etc_files;              // written to sandbox_root/etc when there is a root
  std::string sandbox_root;
  // A root without a path (sbx run's private tmpfs): its directory fd, set by the caller
  // that made it; the files go beneath it, and sandbox_root only names it in errors.
  int sandbox_root_fd = -1;
  std::optional<std::string> cgroup;
  bool require_drop_supplementary_groups = true;
  bool force_clone_fallback = false;
  // Fast mode, for a caller that prepares during the start: its `prepare` runs after the
  // clone (the builder shares our memory, so it sees the result at release), and so do the
  // files (which go into what prepare made). Else prepare runs before the clone.
  bool prepare_after_clone = false;
  // CLONE_NEW* flags taken out of clone_flags, which the builder unshares itself before
  // release, while the caller prepares (prepare_after_clone): the network namespace, up
  // to half a millisecond of the clone otherwise.
  int builder_unshares = 0;
  BuilderSteps builder;

  // Fast mode writes the etc files before the clone (they depend on nothing the child does,
  // and so stay off the clone-to-release path), unless prepare runs after it: the files go
  // into what prepare makes. Lix keeps the seed's order (after the maps).
  bool etc_files_before_clone() const { return mode == StartMode::kFast && !prepare_after_clone; }
};

// Spec 11: the namespaces every sandbox gets (pid, mount, ipc, uts), a user namespace where
// one is used, a network one unless the build shares the host's (fixed-output builds).
constexpr int SandboxCloneFlags(bool user_namespace, bool private_network) {
  return CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS |
         (user_namespace ? CLONE_NEWUSER : 0) | (private_network ? CLONE_NEWNET : 0);
}

// Spec 3: without working user namespaces, root with a build user sandboxes without one (as
// Lix does); anyone else is refused. Throws SysError (errno 0) naming what was refused.
// Pure: `host` says what this process may do (start_child.h's HostFactsOfThisProcess).
StartPlan PlanStart(const StartConfig& config, const HostFacts& host);

}  // namespace sbx
