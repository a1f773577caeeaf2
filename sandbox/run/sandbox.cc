#include "sandbox/run/sandbox.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "sandbox/base/read_to_end.h"
#include "sandbox/base/syscalls.h"
#include "sandbox/base/unique_fd.h"
#include "sandbox/builder/run_child.h"
#include "sandbox/root/host_build_dir.h"
#include "sandbox/root/sandbox_root.h"
#include "sandbox/run/leftover_guard.h"
#include "sandbox/run/terminating_signals.h"
#include "sandbox/start/cgroup.h"
#include "sandbox/start/start_child.h"
#include "sandbox/start/userns_probe.h"

namespace sbx {
namespace {

// A cgroup made for this run and removed afterwards (spec 28).
class RunCgroup {
 public:
  RunCgroup(const std::optional<std::string>& dir, LeftoverGuard& guard) : dir_(dir) {
    if (!dir_) return;
    if (mkdir(dir_->c_str(), 0755) < 0) {
      throw SysError("creating cgroup " + *dir_ + " (it must not exist yet)", errno);
    }
    try {
      guard.DestroyCgroupIfKilled(*dir_);
    } catch (...) {
      rmdir(dir_->c_str());  // no destructor runs for a throwing constructor
      throw;
    }
  }
  ~RunCgroup() {
    try {
      if (dir_) DestroyCgroup(*dir_);
    } catch (const SysError& e) {
      std::fprintf(stderr, "sbx: warning: %s\n", e.what());
    }
  }
  RunCgroup(const RunCgroup&) = delete;
  RunCgroup& operator=(const RunCgroup&) = delete;

 private:
  std::optional<std::string> dir_;
};

// A path the leftover guard cannot list would be made and then refused when the guard is
// told of it: refused here instead, before anything exists.
void RefuseWhatTheGuardCannotList(const StartPlan& plan) {
  auto refuse_newline = [](const std::string& what, const std::string& path) {
    if (LeftoverGuard::CanList(path)) return;
    throw SysError::Refused(what + " has a newline, which sbx cannot list for its removal: " +
                            path + " (refused; nothing was made)");
  };
  if (!plan.builder.build_dir_tmpfs) refuse_newline("$TMPDIR", HostBuildDir::Parent());
  if (plan.cgroup) refuse_newline("--cgroup", *plan.cgroup);
}

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return kExitSetupFailed;
}

}  // namespace

std::string TimingsJson(const StartedRun& started) {
  const PhaseTimings& t = started.timings;
  char line[512];
  std::snprintf(line, sizeof line,
                "{\"setup\":%lld,\"clone\":%lld,\"prepare\":%lld,\"maps\":%lld,"
                "\"files\":%lld,\"nsfds\":%lld,\"cgroup\":%lld,\"release\":%lld,"
                "\"handoff\":%lld,\"clone_to_release\":%lld,\"call_to_release\":%lld,"
                "\"paths\":{\"clone\":\"%s\",\"mount\":\"%s\",\"root\":\"%s\"}}",
                static_cast<long long>(t.setup_us), static_cast<long long>(t.clone_us),
                static_cast<long long>(t.prepare_us), static_cast<long long>(t.maps_us),
                static_cast<long long>(t.files_us), static_cast<long long>(t.nsfds_us),
                static_cast<long long>(t.cgroup_us), static_cast<long long>(t.release_us),
                static_cast<long long>(t.handoff_us), static_cast<long long>(t.clone_to_release_us),
                static_cast<long long>(t.call_to_release_us), started.clone_path,
                started.read_only_path, started.root_kind);
  return line;
}

namespace {

// One run as planned, with the guard and the signal handlers of RunInSandbox.
RunResult RunPlanned(const RunConfig& config, StartPlan plan, LeftoverGuard& guard,
                     const std::function<void(const StartedRun&)>& on_started) {
  const Identity& identity = plan.identity;
  // The guard learns of a fresh root or build dir right after it exists, before anything
  // is put in it.
  auto remove_if_killed = [&guard](const std::string& path) { guard.RemoveTreeIfKilled(path); };
  SandboxRoot root(config.root, identity.host_gid, remove_if_killed, config.force_remount,
                   config.force_directory_root ? FreshRoot::kDirectory : FreshRoot::kPrivateTmpfs);
  RunCgroup cgroup(plan.cgroup, guard);

  int fds[2];
  if (sys::Pipe2(fds, O_CLOEXEC) < 0) throw SysError("creating the error pipe", errno);
  UniqueFd error_read(fds[0]), error_write(fds[1]);
  // The builder watches for our death while its death signal is cleared (setuid).
  UniqueFd self(sys::PidfdOpen(getpid()));

  // What the builder's main needs and no fd of it: in fast mode made while the builder
  // makes its network namespace (StartPlan::prepare_after_clone).
  std::optional<HostBuildDir> build_dir;
  std::optional<RunChildPlan> run;
  auto prepare = [&] {
    root.Populate(plan.builder);
    if (!plan.builder.build_dir_tmpfs) {
      build_dir.emplace(identity.host_uid, identity.host_gid, remove_if_killed);
      guard.HoldUntilGuardEnds(build_dir->top_fd());
      guard.HoldUntilGuardEnds(build_dir->build_fd());
    }
    run.emplace(PrepareRunChild(plan.builder, root.path(), root.mount_fd(), root.read_only_binds(),
                                build_dir ? build_dir->Bind() : BuildDirBind{}, self.get(),
                                error_write.get()));
  };

  plan.sandbox_root = root.name();
  plan.sandbox_root_fd = root.mount_fd();  // -1 but for a private tmpfs, which has no path
  if (int sig = TerminatingSignals::received()) return {.exit_code = 128 + sig};
  Child child = StartChild(
      plan, nullptr, [&run]() -> int { RunChild(*run); }, prepare);
  TerminatingSignals::Started(child.pid());
  if (child.mnt_ns_fd() >= 0) guard.HoldUntilGuardEnds(child.mnt_ns_fd());
  if (on_started) {
    on_started({.builder = child.pid(),
                .timings = child.timings(),
                .clone_path = child.clone_path(),
                .read_only_path = root.read_only_path(),
                .root_kind = root.kind(),
                .root = root.mount_fd() >= 0 ? "" : root.path(),
                .build_dir = build_dir ? build_dir->top() : ""});
  }
  error_write.reset();
  const std::string child_error = ReadToEnd(error_read.get());  // EOF at exec
  const int status = child.Wait();
  if (int sig = TerminatingSignals::received()) return {.exit_code = 128 + sig};
  RunResult result{.exit_code = ExitCodeOf(status)};
  if (!child_error.empty()) {
    result.builder_error = SysError::Decode(child_error).Within("in the sandbox");
    if (result.exit_code != kExitCannotExecute && result.exit_code != kExitNotFound) {
      result.exit_code = kExitSetupFailed;
    }
  }
  return result;
}

// RunPlanned, and where the builder could not move a private tmpfs root over its / (a
// kernel or security policy that allows fsopen but refuses that move_mount), once more with
// the root as a directory, as for a caller who may not make a tmpfs.
RunResult RunPlannedWithRootFallback(RunConfig config, const StartPlan& plan, LeftoverGuard& guard,
                                     const std::function<void(const StartedRun&)>& on_started) {
  RunResult result = RunPlanned(config, plan, guard, on_started);
  if (config.force_directory_root || !result.builder_error ||
      result.builder_error->step().find(kAttachingTheRootTmpfs) == std::string::npos) {
    return result;
  }
  config.force_directory_root = true;
  return RunPlanned(config, plan, guard, on_started);
}

}  // namespace

RunResult RunInSandbox(const RunConfig& config,
                       const std::function<void(const StartedRun&)>& on_started) {
  StartConfig start = config.start;
  start.builder_switches_ids = true;
  start.caller_prepares_during_start = true;  // RunPlanned's prepare
  // A process that runs one sandbox and exits (sbx) does not probe user namespaces first
  // (spec 2): the start's clone tries the same. Only if the run fails is the probe made, and
  // where it finds none the run is planned again with that (spec 3: refused, or root's run
  // without one). A process that runs many probes once, up front.
  const bool probe_first = !config.exits_after_run;
  HostFacts host = HostFactsOfThisProcess(probe_first);
  // Every decision, once: refused input ends here with nothing made.
  const StartPlan plan = PlanStart(start, host);
  RefuseWhatTheGuardCannotList(plan);

  // The guard first: it is the one-run-at-a-time gate (EBUSY), so that a second run refused
  // never touches the first one's process-wide signal handlers.
  LeftoverGuard guard(/*reap=*/!config.exits_after_run);
  TerminatingSignals signals;
  if (probe_first || !plan.use_user_namespace) {
    return RunPlannedWithRootFallback(config, plan, guard, on_started);
  }
  try {
    return RunPlannedWithRootFallback(config, plan, guard, on_started);
  } catch (const SysError&) {
    if (ProbeUserNamespaces().works) throw;  // not for want of a user namespace
  }
  host.user_namespaces_work = false;
  host.user_namespaces_error = UserNamespacesUnavailableError();
  return RunPlannedWithRootFallback(config, PlanStart(start, host), guard, on_started);
}

}  // namespace sbx
