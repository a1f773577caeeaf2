#include "bench/start_child_start.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "bench/scratch_root.h"
#include "sandbox/start/start_child.h"

namespace sbx_bench {
namespace {

// A known extra cost in fast's measured start, so that a run can show the regression check
// catches it: `--define=sbx_inject_start_cost=1` (bench/BUILD.bazel) makes each fast start
// busy-wait for 10% of its own clone-to-release time, added to both headlines as if the
// start had taken it: a 10% regression at any load of the machine. Off (0) in every other
// build.
#ifndef SBX_INJECT_START_COST_PCT
#define SBX_INJECT_START_COST_PCT 0
#endif
constexpr int kInjectedCostPct = SBX_INJECT_START_COST_PCT;

int64_t BusyWaitPercentOf(int64_t us, int pct) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto until = start + std::chrono::microseconds(us * pct / 100);
  while (Clock::now() < until) {
  }
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
}

}  // namespace

bool StartChildSupports(int ns_flags) {
  for (bool user : {false, true}) {
    for (bool net : {false, true}) {
      if (sbx::SandboxCloneFlags(user, net) == ns_flags) return true;
    }
  }
  return false;
}

sbx::PhaseTimings StartChildStart(sbx::StartMode mode, int ns_flags) {
  if (!StartChildSupports(ns_flags)) {
    throw std::invalid_argument("StartChild always unshares pid, mount, ipc and uts");
  }
  thread_local ScratchRoot root;
  // Planning is pure and outside both headlines; StartChild times itself.
  const bool user = (ns_flags & CLONE_NEWUSER) != 0;
  const sbx::StartPlan plan = sbx::PlanStart({
      .mode = mode,
      .use_user_namespace = user,
      .private_network = (ns_flags & CLONE_NEWNET) != 0,
      // Without a user namespace the builder keeps our ids (it runs no command).
      .build_user = user ? std::nullopt : std::optional(sbx::BuildUser{getuid(), getgid(), 1}),
      .sandbox_root = root.path(),
  });
  const sbx::OpenSlave no_pty;  // a build without a pty: nothing to open
  const sbx::ChildMain exit_at_once = [] { return 0; };

  root.Clear();
  sbx::Child child = sbx::StartChild(plan, no_pty, exit_at_once);
  sbx::PhaseTimings t = child.timings();
  if (kInjectedCostPct > 0 && mode == sbx::StartMode::kFast) {
    const int64_t injected = BusyWaitPercentOf(t.clone_to_release_us, kInjectedCostPct);
    t.clone_to_release_us += injected;
    t.call_to_release_us += injected;
  }
  const int status = child.Wait();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("sandboxed child exited with status " + std::to_string(status));
  }
  return t;
}

}  // namespace sbx_bench
