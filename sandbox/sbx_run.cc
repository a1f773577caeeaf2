#include "sandbox/sbx_run.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "sandbox/cgroup.h"
#include "sandbox/identity.h"
#include "sandbox/passwd.h"
#include "sandbox/run_child.h"
#include "sandbox/sandbox_root.h"
#include "sandbox/start_child.h"
#include "sandbox/sys_error.h"
#include "sandbox/unique_fd.h"
#include "sandbox/userns_probe.h"

namespace sbx {
namespace {

constexpr int kErrorBeforeCommand = 125;

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
  return kErrorBeforeCommand;
}

// A cgroup sbx creates for this run and removes afterwards (spec 28).
class RunCgroup {
 public:
  explicit RunCgroup(const std::optional<std::string>& dir) : dir_(dir) {
    if (dir_ && mkdir(dir_->c_str(), 0755) < 0) {
      throw SysError("creating cgroup " + *dir_ + " (it must not exist yet)", errno);
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
  SandboxRoot root(command.root, command.build_dir, identity->host_uid, identity->host_gid);
  RunCgroup cgroup(command.cgroup);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) throw SysError("creating the error pipe", errno);
  UniqueFd error_read(fds[0]), error_write(fds[1]);
  UniqueFd self(static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0)));

  RunChildPlan plan;
  plan.bring_up_loopback = !command.share_network;
  plan.root = root.path();
  plan.read_only_binds = root.read_only_binds();
  plan.build_dir = command.build_dir;
  plan.uid = identity->sandbox_uid;
  plan.gid = identity->sandbox_gid;
  plan.parent_pidfd = self.get();
  plan.error_fd = error_write.get();
  plan.argv = command.argv;
  plan.env = {"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "HOME=/homeless-shelter",
              "NIX_BUILD_TOP=" + command.build_dir, "TMPDIR=/tmp"};
  PrepareArgv(plan);

  Child child =
      StartChild(ConfigFor(command, root.path()), nullptr, [&plan]() -> int { RunChild(plan); });
  if (command.timing) PrintTimings(child.timings());
  error_write.reset();
  const std::string child_error = ReadAll(error_read.get());  // EOF at exec
  const int status = child.Wait();
  if (!child_error.empty()) throw SysError("in the sandbox: " + child_error, 0);
  return ExitCodeOf(status);
}

}  // namespace

int RunCommandMain(const RunCommand& command) {
  try {
    return Run(command);
  } catch (const SysError& e) {
    std::fprintf(stderr, "sbx: error: %s\n", e.what());
    return kErrorBeforeCommand;
  }
}

}  // namespace sbx
