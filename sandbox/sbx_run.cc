#include "sandbox/sbx_run.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "sandbox/cgroup.h"
#include "sandbox/identity.h"
#include "sandbox/leftover_guard.h"
#include "sandbox/passwd.h"
#include "sandbox/run_child.h"
#include "sandbox/sandbox_root.h"
#include "sandbox/seccomp_filter.h"
#include "sandbox/start_child.h"
#include "sandbox/sys_error.h"
#include "sandbox/unique_fd.h"
#include "sandbox/userns_probe.h"

namespace sbx {
namespace {

StartConfig ConfigFor(const RunCommand& command, const std::string& root) {
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
  config.sandbox_root = root;
  config.cgroup = command.cgroup;
  return config;
}

std::string ReadAll(int fd) {
  std::string text;
  char buf[512];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

void PrintTimings(const PhaseTimings& t) {
  std::fprintf(stderr,
               "{\"clone\":%lld,\"maps\":%lld,\"files\":%lld,\"nsfds\":%lld,\"cgroup\":%lld,"
               "\"release\":%lld,\"handoff\":%lld}\n",
               static_cast<long long>(t.clone_us), static_cast<long long>(t.maps_us),
               static_cast<long long>(t.files_us), static_cast<long long>(t.nsfds_us),
               static_cast<long long>(t.cgroup_us), static_cast<long long>(t.release_us),
               static_cast<long long>(t.handoff_us));
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
    guard.DestroyCgroupIfKilled(*dir_);
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

// Nix's build environment (spec 30); PATH differs: Nix sets /path-not-set, sbx the
// sandbox's system dirs so that a bare command name works.
std::vector<std::string> BuilderEnvironment(const std::string& build_dir) {
  std::vector<std::string> env = {"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "HOME=/homeless-shelter",
                                  "NIX_BUILD_TOP=" + build_dir};
  for (const char* name : {"TMPDIR", "TMP", "TEMP", "TEMPDIR"}) {
    env.push_back(std::string(name) + "=" + build_dir);
  }
  return env;
}

int Run(RunCommand command) {
  // Spec 3: without user namespaces, root with a build user sandboxes without one, as Lix
  // does; anyone else gets StartChild's error.
  if (command.use_user_namespace && !ProbeUserNamespaces().works) {
    if (!command.build_uid || getuid() != 0) throw SysError(UserNamespacesUnavailableError(), 0);
    command.use_user_namespace = false;
  }
  std::string error;
  if (!ValidateBuildDir(command.build_dir, &error)) throw SysError(error, 0);
  std::optional<Identity> identity =
      ComputeIdentity({.use_user_namespace = command.use_user_namespace,
                       .build_user = ConfigFor(command, "").build_user,
                       .caller_uid = getuid(),
                       .caller_gid = getgid()},
                      &error);
  if (!identity) throw SysError(error, 0);
  error = RefuseRunningAsPrivilegedUser(*identity, command.use_user_namespace, getuid());
  if (!error.empty()) throw SysError(error, 0);

  TerminatingSignals signals;
  LeftoverGuard guard;
  std::optional<SandboxRoot> root;
  // The guard learns the path before anything is in it: mkdtemp and the notice are apart
  // by nothing but this call.
  root.emplace(command.root, command.build_dir, identity->host_gid);
  if (root->fresh()) guard.RemoveTreeIfKilled(root->path());
  RunCgroup cgroup(command.cgroup, guard);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) throw SysError("creating the error pipe", errno);
  UniqueFd error_read(fds[0]), error_write(fds[1]);
  UniqueFd self(static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0)));

  RunChildPlan plan;
  plan.bring_up_loopback = !command.share_network;
  plan.root = root->path();
  plan.read_only_binds = root->read_only_binds();
  plan.build_dir = command.build_dir;
  plan.build_dir_tmpfs_options = "mode=0700,uid=" + std::to_string(identity->sandbox_uid) +
                                 ",gid=" + std::to_string(identity->sandbox_gid);
  plan.uid = identity->sandbox_uid;
  plan.gid = identity->sandbox_gid;
  plan.parent_pidfd = self.get();
  plan.error_fd = error_write.get();
  plan.seccomp_program = BuilderSeccompProgram();
  plan.argv = command.argv;
  plan.env = BuilderEnvironment(command.build_dir);
  PrepareArgv(plan);

  if (int sig = TerminatingSignals::received()) return 128 + sig;
  Child child =
      StartChild(ConfigFor(command, root->path()), nullptr, [&plan]() -> int { RunChild(plan); });
  TerminatingSignals::Started(child.pid());
  if (command.timing) PrintTimings(child.timings());
  error_write.reset();
  const std::string child_error = ReadAll(error_read.get());  // EOF at exec
  const int status = child.Wait();
  if (int sig = TerminatingSignals::received()) return 128 + sig;
  if (!child_error.empty()) {
    std::fprintf(stderr, "sbx: error: in the sandbox: %s\n", child_error.c_str());
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
