// What a caller asks of a sandbox start (start_plan.h turns it into decisions).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/rules/identity.h"
#include "sandbox/rules/passwd.h"
#include "sandbox/rules/start_mode.h"

namespace sbx {

struct StartConfig {
  StartMode mode = StartMode::kLix;
  bool use_user_namespace = true;           // asked for; PlanStart decides (spec 3)
  bool private_network = true;              // CLONE_NEWNET (all but fixed-output builds)
  std::optional<BuildUser> build_user;      // none: map the caller's own ids
  std::string build_dir{kDefaultBuildDir};  // home in the generated passwd
  bool build_dir_tmpfs = false;             // a tmpfs, not a host directory on disk
  bool kvm = true;           // Nix's kvm system feature: bind /dev/kvm where the caller may use it
  std::string sandbox_root;  // passwd/group go to SANDBOX_ROOT/etc/ (must exist)
  std::optional<std::string> cgroup;  // directory of a cgroup v2 to place the child in
  // Spec 10: fail when setgroups is refused. Unset: as Lix, for root only (the plan knows).
  std::optional<bool> require_drop_supplementary_groups;
  bool force_clone_fallback = false;  // fast mode: use clone() + cgroup.procs, not clone3
  // The caller gives StartChild a `prepare` of its own (RunInSandbox: the root's contents,
  // the build dir): in fast mode it runs after the clone, and the builder makes its network
  // namespace itself meanwhile.
  bool caller_prepares_during_start = false;
  // The builder's command, for a caller that runs it with sandbox/builder's RunChild (as
  // `sbx run` does); empty for one whose ChildMain does its own.
  std::vector<std::string> command;
  // The child carries out the plan's BuilderSteps (RunChild) and so becomes the sandbox ids:
  // the plan refuses ids that would keep privileges over the host. RunInSandbox sets it.
  bool builder_switches_ids = false;
};

// What a caller asks of a whole run (sandbox/run's RunInSandbox): a start whose child runs
// start.command, in a root made for it or given.
struct RunConfig {
  StartConfig start;                // start.sandbox_root is the root RunInSandbox prepares
  std::optional<std::string> root;  // a directory to use as the sandbox root; none: a fresh one
  // Remount each mount below a read-only bind one by one even where the kernel has
  // mount_setattr, to cover older kernels' path on any kernel (SBX_FORCE_FALLBACK=mount).
  bool force_remount = false;
  // A fresh root as a directory under /dev/shm even where it could be a private tmpfs, to
  // cover the unprivileged caller's path as root (SBX_FORCE_FALLBACK=root).
  bool force_directory_root = false;
  // The caller exits right after the run (the sbx command): the leftover guard is not
  // waited for (init reaps it), which saves a wait on every run. Otherwise it is reaped
  // before RunInSandbox returns, and the process may run another sandbox.
  bool exits_after_run = false;
};

// Runs in the lix helper before CLONE_NEWUSER (the seed opens the pty slave here).
using OpenSlave = std::function<void()>;
// Runs in the child after release, on a stack of its own; its return value is the child's
// exit status. In fast mode it runs on the parent's memory, like a vfork child, and
// StartChild returns only once it has exec'd or returned: it should do little but
// prepare and exec, allocate nothing the parent relies on, and not wait for the parent.
using ChildMain = std::function<int()>;

}  // namespace sbx
