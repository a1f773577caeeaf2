#include "sandbox/start/start_child.h"

#include <fcntl.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>

#include "sandbox/base/sys_error.h"
#include "sandbox/base/syscalls.h"
#include "sandbox/root/sandbox_files.h"
#include "sandbox/start/cgroup.h"
#include "sandbox/start/id_map_writer.h"
#include "sandbox/start/launcher.h"
#include "sandbox/start/pidfd_namespace.h"
#include "sandbox/start/proc_file.h"
#include "sandbox/start/release_channel.h"
#include "sandbox/start/userns_probe.h"

namespace sbx {
namespace {

using Clock = std::chrono::steady_clock;

int64_t Micros(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::microseconds>(to - from).count();
}

// Microseconds since *mark; moves the mark to now.
int64_t Lap(Clock::time_point* mark) {
  const Clock::time_point now = Clock::now();
  const int64_t us = Micros(*mark, now);
  *mark = now;
  return us;
}

void WriteEtcFilesOf(const StartPlan& plan) {
  if (plan.sandbox_root_fd >= 0) {
    WriteEtcFilesAt(plan.sandbox_root_fd, plan.sandbox_root, plan.etc_files);
  } else {
    WriteEtcFiles(plan.sandbox_root, plan.etc_files);
  }
}

// Spec 27: read-only fds of the child's namespaces; the child may already be gone
// (nix#4719). From its pidfd where the kernel can (Linux 6.11+, no path walk in /proc), else
// /proc/PID/ns/NAME.
struct NamespaceFile {
  const char* proc_name;
  unsigned long pidfd_ioctl;
  const char* what;
};
constexpr NamespaceFile kMountNamespace{"ns/mnt", kPidfdGetMountNamespace, "mount"};
constexpr NamespaceFile kUserNamespace{"ns/user", kPidfdGetUserNamespace, "user"};

UniqueFd OpenNamespace(pid_t pid, int pidfd, const NamespaceFile& ns) {
  if (pidfd >= 0) {
    UniqueFd fd(sys::Ioctl(pidfd, ns.pidfd_ioctl));
    if (fd) return fd;
    // ENOTTY: a pidfd without these ioctls (before 6.11); anything else is the child's fate.
    if (errno != ENOTTY && errno != EINVAL) {
      throw SysError(std::string("getting sandbox ") + ns.what + " namespace", errno);
    }
  }
  UniqueFd fd = OpenProcFile(pid, ns.proc_name, O_RDONLY);
  if (!fd) throw SysError(std::string("getting sandbox ") + ns.what + " namespace", errno);
  return fd;
}

}  // namespace

// Fills a Child; a friend, so Child's fields stay private to everyone else.
class ChildBuilder {
 public:
  static Child Start(const StartPlan& plan, const OpenSlave& open_slave,
                     const ChildMain& child_main, const std::function<void()>& prepare) {
    Child child;
    PhaseTimings& t = child.timings_;
    const Clock::time_point called = Clock::now();
    auto mark = called;
    ReleaseChannel channel = ReleaseChannel::Open();
    ChildEntryArgs entry{.release_read_fd = channel.child_end(),
                         .release_write_fd = channel.parent_end(),
                         .unshare_cgroup = plan.cgroup.has_value(),
                         .main = &child_main,
                         .unshare_flags = plan.builder_unshares};
    std::unique_ptr<Launcher> launcher = plan.mode == StartMode::kLix
                                             ? MakeLixLauncher(plan, open_slave)
                                             : MakeFastLauncher(plan, open_slave);
    t.setup_us = Lap(&mark);
    if (prepare && !plan.prepare_after_clone) {
      prepare();
      t.prepare_us = Lap(&mark);
    }
    const bool write_files = !plan.sandbox_root.empty() || plan.sandbox_root_fd >= 0;
    if (write_files && plan.etc_files_before_clone()) {
      WriteEtcFilesOf(plan);
      t.files_us = Lap(&mark);
    }
    const Clock::time_point cloning = mark;
    child.pid_ = launcher->Launch(entry);
    child.clone_path_ = launcher->clone_path();
    channel.CloseChildEnd();
    t.clone_us = Lap(&mark);
    try {
      if (prepare && plan.prepare_after_clone) {
        prepare();
        t.prepare_us = Lap(&mark);
      }
      if (plan.use_user_namespace) WriteIdMaps(child.pid_, plan.identity);
      t.maps_us = Lap(&mark);
      if (write_files && !plan.etc_files_before_clone()) {
        WriteEtcFilesOf(plan);
        t.files_us = Lap(&mark);
      }
      // A pidfd where the kernel has them (5.3+): from the clone, else opened; the child is
      // ours and unreaped, so its pid cannot have been reused.
      child.pidfd_.reset(launcher->TakePidfd());
      if (!child.pidfd_) child.pidfd_.reset(sys::PidfdOpen(child.pid_));
      // ENOSYS: a kernel before 5.3, where a Child has no pidfd; any other errno is a fault.
      if (!child.pidfd_ && errno != ENOSYS) throw SysError("opening a pidfd of the builder", errno);
      child.mnt_ns_ = OpenNamespace(child.pid_, child.pidfd_.get(), kMountNamespace);
      if (plan.use_user_namespace) {
        child.user_ns_ = OpenNamespace(child.pid_, child.pidfd_.get(), kUserNamespace);
      }
      t.nsfds_us = Lap(&mark);
      if (plan.cgroup && !launcher->placed_in_cgroup()) AddToCgroup(*plan.cgroup, child.pid_);
      t.cgroup_us = Lap(&mark);
      channel.Release();
      t.release_us = Lap(&mark);
      t.clone_to_release_us = Micros(cloning, mark);
      t.call_to_release_us = Micros(called, mark);
      launcher->AfterRelease();
      t.handoff_us = Lap(&mark);
      if (plan.builder_unshares) CheckBuilderUnshared(entry);
    } catch (...) {
      channel.Abort();
      KillAndReap(child.pid_);
      child.pid_ = -1;
      throw;
    }
    return child;
  }
};

Child StartChild(const StartPlan& plan, const OpenSlave& open_slave, const ChildMain& child_main,
                 const std::function<void()>& prepare) {
  return ChildBuilder::Start(plan, open_slave, child_main, prepare);
}

HostFacts HostFactsOfThisProcess(bool probe_user_namespaces) {
  HostFacts host;
  if (probe_user_namespaces) {
    host.user_namespaces_work = ProbeUserNamespaces().works;
    host.user_namespaces_error = UserNamespacesUnavailableError();
  }
  host.uid = getuid();
  host.gid = getgid();
  host.cores = static_cast<uint32_t>(std::max(1, get_nprocs()));
  host.kvm_usable = access("/dev/kvm", R_OK | W_OK) == 0;
  host.pts_ptmx = access("/dev/pts/ptmx", F_OK) == 0;
  return host;
}

StartPlan PlanStart(const StartConfig& config) {
  return PlanStart(config, HostFactsOfThisProcess());
}

Child StartChild(const StartConfig& config, const OpenSlave& open_slave,
                 const ChildMain& child_main) {
  return ChildBuilder::Start(PlanStart(config), open_slave, child_main, nullptr);
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
    clone_path_ = other.clone_path_;
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
