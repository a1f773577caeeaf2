#include "sandbox/start_child.h"

#include <fcntl.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <string>

#include "sandbox/cgroup.h"
#include "sandbox/id_map_writer.h"
#include "sandbox/launcher.h"
#include "sandbox/passwd.h"
#include "sandbox/release_channel.h"
#include "sandbox/sandbox_files.h"
#include "sandbox/sys_error.h"
#include "sandbox/syscalls.h"
#include "sandbox/userns_probe.h"

namespace sbx {
namespace {

using Clock = std::chrono::steady_clock;

// Microseconds since *mark; moves the mark to now.
int64_t Lap(Clock::time_point* mark) {
  auto now = Clock::now();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - *mark).count();
  *mark = now;
  return us;
}

Identity IdentityFor(const StartConfig& config) {
  std::string error;
  std::optional<Identity> identity =
      ComputeIdentity({.use_user_namespace = config.use_user_namespace,
                       .build_user = config.build_user,
                       .caller_uid = getuid(),
                       .caller_gid = getgid()},
                      &error);
  if (!identity) throw SysError(error, 0);
  return *identity;
}

// Spec 27: read-only fds of the child's namespaces; the child may already be gone (nix#4719).
UniqueFd OpenNamespace(pid_t pid, const char* ns, const char* what) {
  const std::string path = "/proc/" + std::to_string(pid) + "/ns/" + ns;
  UniqueFd fd(sys::OpenAt(AT_FDCWD, path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw SysError(std::string("getting sandbox ") + what + " namespace", errno);
  return fd;
}

}  // namespace

// Fills a Child; a friend, so Child's fields stay private to everyone else.
class ChildBuilder {
 public:
  static Child Start(const StartConfig& config, const OpenSlave& open_slave,
                     const ChildMain& child_main) {
    // Everything that can be rejected is decided before a process exists.
    if (config.use_user_namespace) {
      if (std::string error = UserNamespacesUnavailableError(); !error.empty()) {
        throw SysError(error, 0);
      }
    }
    const Identity identity = IdentityFor(config);
    std::optional<EtcFiles> etc;
    if (!config.sandbox_root.empty()) {
      std::string error;
      etc = GenerateEtcFiles(identity.sandbox_uid, identity.sandbox_gid, config.build_dir, &error);
      if (!etc) throw SysError(error, 0);
    }

    ReleaseChannel channel = ReleaseChannel::Open();
    ChildEntryArgs entry{.release_read_fd = channel.child_end(),
                         .release_write_fd = channel.parent_end(),
                         .unshare_cgroup = config.cgroup.has_value(),
                         .main = &child_main};
    std::unique_ptr<Launcher> launcher = config.mode == StartMode::kLix
                                             ? MakeLixLauncher(config, open_slave)
                                             : MakeFastLauncher(config, open_slave);
    Child child;
    PhaseTimings& t = child.timings_;
    auto mark = Clock::now();
    child.pid_ = launcher->Launch(entry);
    channel.CloseChildEnd();
    t.clone_us = Lap(&mark);
    try {
      if (config.use_user_namespace) WriteIdMaps(child.pid_, identity);
      t.maps_us = Lap(&mark);
      if (etc) WriteEtcFiles(config.sandbox_root, *etc);
      t.files_us = Lap(&mark);
      child.mnt_ns_ = OpenNamespace(child.pid_, "mnt", "mount");
      if (config.use_user_namespace) child.user_ns_ = OpenNamespace(child.pid_, "user", "user");
      // A pidfd where the kernel has them (5.3+); the child is ours and unreaped, so its pid
      // cannot have been reused.
      child.pidfd_.reset(sys::PidfdOpen(child.pid_));
      t.nsfds_us = Lap(&mark);
      if (config.cgroup && !launcher->placed_in_cgroup()) AddToCgroup(*config.cgroup, child.pid_);
      t.cgroup_us = Lap(&mark);
      channel.Release();
      t.release_us = Lap(&mark);
      launcher->AfterRelease();
      t.handoff_us = Lap(&mark);
    } catch (...) {
      channel.Abort();
      KillAndReap(child.pid_);
      child.pid_ = -1;
      throw;
    }
    return child;
  }
};

Child StartChild(const StartConfig& config, const OpenSlave& open_slave,
                 const ChildMain& child_main) {
  return ChildBuilder::Start(config, open_slave, child_main);
}

Child::Child(Child&& other) noexcept { *this = std::move(other); }

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0) Kill();
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::move(other.pidfd_);
    mnt_ns_ = std::move(other.mnt_ns_);
    user_ns_ = std::move(other.user_ns_);
    timings_ = other.timings_;
  }
  return *this;
}

Child::~Child() {
  if (pid_ > 0) Kill();
}

int Child::Wait() {
  // waitpid(-1) would reap any child of ours.
  if (pid_ <= 0) throw SysError("waiting for the builder: it was already waited for", ECHILD);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) throw SysError("waiting for the builder", errno);
  }
  pid_ = -1;
  return status;
}

void Child::Kill() {
  if (pid_ <= 0) return;  // already reaped: kill(-1) would signal every process we may
  KillAndReap(pid_);
  pid_ = -1;
}

}  // namespace sbx
