#include "bench/start_child_start.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <system_error>

#include "bench/ns_flags.h"
#include "sandbox/start/start_child.h"

namespace sbx_bench {
namespace {

// A sandbox root per thread: StartChild writes etc/passwd and etc/group there, and threads
// starting at once must not share those files.
class ScratchRoot {
 public:
  ScratchRoot() {
    char templ[] = "/tmp/sbx-bench-root-XXXXXX";
    if (mkdtemp(templ) == nullptr) {
      throw std::system_error(errno, std::generic_category(), "mkdtemp sandbox root");
    }
    path_ = templ;
    if (mkdir((path_ + "/etc").c_str(), 0755) < 0) {
      throw std::system_error(errno, std::generic_category(), "mkdir " + path_ + "/etc");
    }
  }
  ~ScratchRoot() {
    Clear();
    rmdir((path_ + "/etc").c_str());
    rmdir(path_.c_str());
  }
  // Each build gets a fresh chroot, so the files never exist yet. Left in place, they would
  // be replaced by rename, which ext4 (auto_da_alloc) turns into a flush to disk.
  void Clear() {
    unlink((path_ + "/etc/passwd").c_str());
    unlink((path_ + "/etc/group").c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

constexpr int kAlwaysOn = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS;

// A known extra cost in fast's measured start, so that a run can show the regression check
// catches it: `--define=sbx_inject_start_cost=1` (bench/BUILD.bazel) makes each fast start
// busy-wait for 10% of its own time, a 10% regression at any load of the machine. Off (0)
// in every other build.
#ifndef SBX_INJECT_START_COST_PCT
#define SBX_INJECT_START_COST_PCT 0
#endif
constexpr int kInjectedCostPct = SBX_INJECT_START_COST_PCT;

void BusyWait(std::chrono::steady_clock::duration length) {
  const auto until = std::chrono::steady_clock::now() + length;
  while (std::chrono::steady_clock::now() < until) {
  }
}

}  // namespace

bool StartChildSupports(int ns_flags) {
  return (ns_flags & kAlwaysOn) == kAlwaysOn && (ns_flags & ~kSeedFlags) == 0;
}

StartSample StartChildStart(Mode mode, int ns_flags) {
  if (!StartChildSupports(ns_flags)) {
    throw std::invalid_argument("StartChild always unshares pid, mount, ipc and uts");
  }
  thread_local ScratchRoot root;
  sbx::StartConfig config;
  config.mode = mode == Mode::kLix ? sbx::StartMode::kLix : sbx::StartMode::kFast;
  config.use_user_namespace = (ns_flags & CLONE_NEWUSER) != 0;
  config.private_network = (ns_flags & CLONE_NEWNET) != 0;
  config.sandbox_root = root.path();
  if (!config.use_user_namespace) config.build_user = sbx::BuildUser{getuid(), getgid(), 1};

  const sbx::OpenSlave no_pty;  // a build without a pty: nothing to open
  const sbx::ChildMain exit_at_once = [] { return 0; };

  root.Clear();
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  sbx::Child child = sbx::StartChild(config, no_pty, exit_at_once);
  if (kInjectedCostPct > 0 && mode == Mode::kFast) {
    const auto took = Clock::now() - start - std::chrono::microseconds(child.timings().handoff_us);
    BusyWait(took * kInjectedCostPct / 100);
  }
  const Clock::time_point released = Clock::now();

  StartSample sample;
  const sbx::PhaseTimings& t = child.timings();
  // Up to the release: fast mode's wait for the builder to leave its memory comes after.
  sample.latency_s = std::chrono::duration<double>(released - start).count() -
                     static_cast<double>(t.handoff_us) * 1e-6;
  sample.phases = {static_cast<double>(t.clone_us),  static_cast<double>(t.maps_us),
                   static_cast<double>(t.files_us),  static_cast<double>(t.nsfds_us),
                   static_cast<double>(t.cgroup_us), static_cast<double>(t.release_us)};
  int status = child.Wait();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("sandboxed child exited with status " + std::to_string(status));
  }
  return sample;
}

}  // namespace sbx_bench
