#include "sandbox/cli/sbx_run.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sandbox/builder/host_build_dir.h"
#include "sandbox/builder/run_child.h"
#include "sandbox/builder/sandbox_root.h"
#include "sandbox/cli/leftover_guard.h"
#include "sandbox/cli/read_to_end.h"
#include "sandbox/rules/identity.h"
#include "sandbox/rules/sys_error.h"
#include "sandbox/start/cgroup.h"
#include "sandbox/start/start_child.h"
#include "sandbox/start/unique_fd.h"

namespace sbx {
namespace {

// SBX_FORCE_FALLBACK=clone,mount: take the older kernels' paths where the kernel has the
// newer ones (clone() and cgroup.procs instead of clone3; a remount of each mount instead of
// mount_setattr), so that tests cover both on any kernel.
bool FallbackForced(const char* name) {
  const char* list = std::getenv("SBX_FORCE_FALLBACK");
  if (!list) return false;
  const std::string padded = "," + std::string(list) + ",";
  return padded.find("," + std::string(name) + ",") != std::string::npos;
}

StartConfig ConfigFor(const RunCommand& command) {
  StartConfig config;
  config.mode = command.mode;
  config.use_user_namespace = command.use_user_namespace;
  config.private_network = !command.share_network;
  if (command.build_uid) {
    config.build_user = BuildUser{.uid = *command.build_uid,
                                  .gid = *command.build_gid,
                                  .count = command.uid_count.value_or(1)};
  }
  config.build_dir = command.build_dir;
  config.build_dir_tmpfs = command.build_dir_tmpfs;
  config.kvm = command.kvm;
  config.cgroup = command.cgroup;
  config.force_clone_fallback = FallbackForced("clone");
  config.command = command.argv;
  return config;
}

// The phases in microseconds, and the paths taken where the kernel decides (a fallback on
// an older kernel, or forced by SBX_FORCE_FALLBACK).
void PrintTimings(const Child& child, const SandboxRoot& root) {
  const PhaseTimings& t = child.timings();
  std::fprintf(stderr,
               "{\"setup\":%lld,\"clone\":%lld,\"maps\":%lld,\"files\":%lld,\"nsfds\":%lld,"
               "\"cgroup\":%lld,\"release\":%lld,\"handoff\":%lld,\"clone_to_release\":%lld,"
               "\"call_to_release\":%lld,\"paths\":{\"clone\":\"%s\",\"mount\":\"%s\"}}\n",
               static_cast<long long>(t.setup_us), static_cast<long long>(t.clone_us),
               static_cast<long long>(t.maps_us), static_cast<long long>(t.files_us),
               static_cast<long long>(t.nsfds_us), static_cast<long long>(t.cgroup_us),
               static_cast<long long>(t.release_us), static_cast<long long>(t.handoff_us),
               static_cast<long long>(t.clone_to_release_us),
               static_cast<long long>(t.call_to_release_us), child.clone_path(),
               root.read_only_path());
}

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return kExitSetupFailed;
}

// SIGINT, SIGTERM and SIGHUP end the run the way a finished one ends: the builder is killed,
// what sbx made is removed, and sbx exits with 128+N.
volatile sig_atomic_t g_signal = 0;
volatile pid_t g_builder = -1;  // set once started; -1 in every forked copy made before

void OnTerminatingSignal(int sig) {
  g_signal = sig;
  if (g_builder > 0) kill(g_builder, SIGKILL);
}

class TerminatingSignals {
 public:
  static constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
  TerminatingSignals() {
    struct sigaction action {};
    action.sa_handler = OnTerminatingSignal;  // no SA_RESTART: waits return EINTR
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < std::size(kSignals); ++i) sigaction(kSignals[i], &action, &old_[i]);
  }
  ~TerminatingSignals() {
    g_builder = -1;
    for (size_t i = 0; i < std::size(kSignals); ++i) sigaction(kSignals[i], &old_[i], nullptr);
  }
  // The builder is started: a signal from now on kills it; one that came during the start
  // kills it now.
  static void Started(pid_t builder) {
    g_builder = builder;
    if (g_signal) kill(builder, SIGKILL);
  }
  static int received() { return g_signal; }

 private:
  struct sigaction old_[std::size(kSignals)];
};

// A cgroup sbx creates for this run and removes afterwards (spec 28).
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

 private:
  std::optional<std::string> dir_;
};

int Run(const RunCommand& command) {
  // Every decision, once: refused input ends here with nothing made.
  StartPlan plan = PlanStart(ConfigFor(command));
  if (std::string error =
          RefuseRunningAsPrivilegedUser(plan.identity, plan.use_user_namespace, getuid());
      !error.empty()) {
    throw SysError::Refused(error);
  }
  const Identity& identity = plan.identity;

  TerminatingSignals signals;
  LeftoverGuard guard;
  std::optional<SandboxRoot> root;
  // The guard learns of a fresh root right after mkdtemp, before anything is put in it.
  auto remove_if_killed = [&guard](const std::string& path) { guard.RemoveTreeIfKilled(path); };
  root.emplace(command.root, plan.builder, identity.host_gid, remove_if_killed,
               FallbackForced("mount"));
  std::optional<HostBuildDir> build_dir;
  if (!plan.builder.build_dir_tmpfs) {
    build_dir.emplace(identity.host_uid, identity.host_gid, remove_if_killed);
  }
  RunCgroup cgroup(command.cgroup, guard);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) throw SysError("creating the error pipe", errno);
  UniqueFd error_read(fds[0]), error_write(fds[1]);
  UniqueFd self(static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0)));

  plan.sandbox_root = root->path();
  const RunChildPlan run =
      PrepareRunChild(plan.builder, root->path(), root->read_only_binds(),
                      build_dir ? build_dir->Bind() : BuildDirBind{}, self.get(), error_write.get());

  if (int sig = TerminatingSignals::received()) return 128 + sig;
  Child child = StartChild(plan, nullptr, [&run]() -> int { RunChild(run); });
  TerminatingSignals::Started(child.pid());
  if (command.timing) PrintTimings(child, *root);
  error_write.reset();
  const std::string child_error = ReadToEnd(error_read.get());  // EOF at exec
  const int status = child.Wait();
  if (int sig = TerminatingSignals::received()) return 128 + sig;
  if (!child_error.empty()) {
    const SysError error = SysError::Decode(child_error).Within("in the sandbox");
    std::fprintf(stderr, "sbx: error: %s\n", error.what());
    const int code = ExitCodeOf(status);
    return code == kExitCannotExecute || code == kExitNotFound ? code : kExitSetupFailed;
  }
  return ExitCodeOf(status);
}

}  // namespace

int RunCommandMain(const RunCommand& command) {
  try {
    return Run(command);
  } catch (const SysError& e) {
    std::fprintf(stderr, "sbx: error: %s\n", e.what());
    return kExitSetupFailed;
  }
}

}  // namespace sbx
