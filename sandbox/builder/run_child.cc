#include "sandbox/builder/run_child.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/mount.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "sandbox/builder/seccomp_filter.h"
#include "sandbox/rules/root_layout.h"

namespace sbx {
namespace {

constexpr const char* kSearchPath[] = {"/usr/bin", "/bin", "/usr/sbin", "/sbin"};

// Reports the failed step on the error fd, as SysError::Encode() writes it ("ERRNO STEP
// ARG"), and exits; allocates nothing.
[[noreturn]] void Fail(const RunChildPlan& plan, const char* step, const char* arg = "",
                       int status = kExitSetupFailed) {
  const int error = errno;
  char message[512];
  int n = std::snprintf(message, sizeof message, "%d %s%s%s", error, step, *arg ? " " : "", arg);
  if (n > 0) (void)!write(plan.error_fd, message, std::min<size_t>(n, sizeof message - 1));
  _exit(status);
}

// path = root + suffix, in a fixed buffer.
const char* Under(const RunChildPlan& plan, const char* suffix, char (&buf)[4096]) {
  std::snprintf(buf, sizeof buf, "%s%s", plan.root.c_str(), suffix);
  return buf;
}

void BringUpLoopback(const RunChildPlan& plan) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) Fail(plan, "socket for lo");
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  std::strcpy(ifr.ifr_name, "lo");
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) Fail(plan, "getting flags of lo");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) Fail(plan, "bringing up lo");
  close(fd);
}

void MountAt(const RunChildPlan& plan, const char* source, const char* suffix, const char* type,
             unsigned long flags, const char* data = nullptr) {
  char target[4096];
  if (mount(source, Under(plan, suffix, target), type, flags, data) < 0) {
    Fail(plan, "mounting", target);
  }
}

// A bind whose every mount is read-only, nosuid and nodev: one recursive mount_setattr
// (Linux 5.12+), or, where the parent listed them (older kernels), a remount of each mount.
// A plain remount of the top alone would leave a mount below it (a tmpfs on /usr/local/src)
// writable.
void BindReadOnly(const RunChildPlan& plan, const BindMount& bind) {
  char target[4096];
  Under(plan, bind.target.c_str(), target);
  if (mount(bind.source.c_str(), target, nullptr, MS_BIND | MS_REC, nullptr) < 0) {
    Fail(plan, "binding", target);
  }
  if (bind.remounts.empty()) {
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    if (syscall(SYS_mount_setattr, AT_FDCWD, target, AT_RECURSIVE, &attr, sizeof attr) < 0) {
      Fail(plan, "making read-only", target);
    }
    return;
  }
  for (const Remount& remount : bind.remounts) {
    // In a user namespace the flags the kernel locked must be repeated, or EPERM.
    const unsigned long flags =
        MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | remount.locked;
    if (mount(nullptr, remount.path.c_str(), nullptr, flags, nullptr) < 0) {
      Fail(plan, "making read-only", remount.path.c_str());
    }
  }
}

void BindDevice(const RunChildPlan& plan, const char* node) {
  char host[64], target[4096];
  std::snprintf(host, sizeof host, "/dev/%s", node);
  if (mount(host, Under(plan, host, target), nullptr, MS_BIND, nullptr) < 0) {
    Fail(plan, "binding", target);
  }
}

void BindDevices(const RunChildPlan& plan) {
  for (const char* node : kDevNodes) BindDevice(plan, node);
  if (plan.steps.bind_kvm) BindDevice(plan, kKvmNode);
  MountAt(plan, "tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
  // A pty instance of the sandbox's own, as Nix's (/dev/ptmx links to its ptmx).
  MountAt(plan, "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
          "newinstance,mode=0620,ptmxmode=0666");
}

// The parent's host dir, bound without setuid or device files (a builder may be root of its
// namespace); or a tmpfs.
void MountBuildDir(const RunChildPlan& plan) {
  const char* build_dir = plan.steps.build_dir.c_str();
  if (plan.steps.build_dir_tmpfs) {
    MountAt(plan, "tmpfs", build_dir, "tmpfs", MS_NOSUID | MS_NODEV,
            plan.steps.build_dir_tmpfs_options.c_str());
    return;
  }
  char target[4096];
  Under(plan, build_dir, target);
  if (mount(plan.build_dir.source.c_str(), target, nullptr, MS_BIND, nullptr) < 0) {
    // EACCES: with a uid range the builder binds as the build user, who must be able to
    // pass through every directory above $TMPDIR's (as through /tmp).
    Fail(plan,
         "binding the build dir (beneath $TMPDIR, which the build user must be able to reach) on",
         target);
  }
  const unsigned long flags = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | plan.build_dir.locked;
  if (mount(nullptr, target, nullptr, flags, nullptr) < 0) Fail(plan, "remounting", target);
}

// The root becomes a mount point of its own so that chroot sees only what is bound there. A
// private tmpfs is put over our / and entered: its relative paths ("./proc") then name it,
// while absolute ones (the host paths bound into it) still resolve from the old root.
void AttachRoot(const RunChildPlan& plan) {
  if (plan.root_mount_fd < 0) {
    if (mount(plan.root.c_str(), plan.root.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0) {
      Fail(plan, "binding the root", plan.root.c_str());
    }
    return;
  }
  if (fchdir(plan.root_mount_fd) < 0) Fail(plan, "entering the root tmpfs");
  if (syscall(SYS_move_mount, plan.root_mount_fd, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0) {
    Fail(plan, kAttachingTheRootTmpfs);
  }
  close(plan.root_mount_fd);
}

// Raw syscalls, not glibc's wrappers: in fast mode we share the parent's memory, and glibc's
// setxid broadcast would signal the parent's threads to change their ids too.
void SwitchIds(const RunChildPlan& plan) {
  // Supplementary groups the helper could not drop (a rootless caller) go here, where
  // setgroups is still allowed (uid ranges); with "deny" it fails and nothing changes.
  if (syscall(SYS_setgroups, 0, nullptr) < 0 && errno != EPERM) Fail(plan, "setgroups");
  const uint32_t uid = plan.steps.uid, gid = plan.steps.gid;
  if (syscall(SYS_setresgid, gid, gid, gid) < 0) Fail(plan, "setgid");
  if (syscall(SYS_setresuid, uid, uid, uid) < 0) Fail(plan, "setuid");
}

// Spec 17: changing credentials clears the death signal; re-arm it, then make sure the
// parent did not die in between (getppid() says nothing across a pid namespace: ask the
// parent's pidfd).
void RearmDeathSignal(const RunChildPlan& plan) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) Fail(plan, "re-arming the death signal");
  if (plan.parent_pidfd < 0) return;
  struct pollfd pfd = {.fd = plan.parent_pidfd, .events = POLLIN, .revents = 0};
  if (poll(&pfd, 1, 0) != 0) _exit(kExitSetupFailed);  // the parent is gone
  close(plan.parent_pidfd);
}

// Every fd above 2 is closed at exec, whatever the caller left open without O_CLOEXEC (the
// class of runc's CVE-2024-21626: a directory fd gives the builder the host's tree).
// close_range(CLOSE_RANGE_CLOEXEC) (Linux 5.11+), else each fd listed in /proc/self/fd.
void CloseInheritedFdsAtExec(const RunChildPlan& plan) {
  if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) Fail(plan, "listing open fds");
  alignas(8) char buf[4096];
  for (long n; (n = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0;) {
    for (long at = 0; at < n;) {
      const auto* entry = reinterpret_cast<const struct dirent64*>(buf + at);
      at += entry->d_reclen;
      const int fd = std::atoi(entry->d_name);
      if (fd > 2 && fd != dir && fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) Fail(plan, "FD_CLOEXEC");
    }
  }
  close(dir);
}

// 127 for a command that is not there, 126 for one that cannot be run.
[[noreturn]] void FailExec(const RunChildPlan& plan, const char* what) {
  Fail(plan, "exec", what,
       errno == ENOENT || errno == ENOTDIR ? kExitNotFound : kExitCannotExecute);
}

// execve, searching the sandbox's PATH for a bare name (execvpe would search the caller's).
[[noreturn]] void Exec(const RunChildPlan& plan) {
  const char* name = plan.argv_ptrs[0];
  if (std::strchr(name, '/') == nullptr) {
    for (const char* dir : kSearchPath) {
      char path[4096];
      std::snprintf(path, sizeof path, "%s/%s", dir, name);
      execve(path, plan.argv_ptrs.data(), plan.env_ptrs.data());
      if (errno != ENOENT && errno != ENOTDIR) FailExec(plan, path);
    }
    errno = ENOENT;
    FailExec(plan, name);
  }
  execve(name, plan.argv_ptrs.data(), plan.env_ptrs.data());
  FailExec(plan, name);
}

}  // namespace

RunChildPlan PrepareRunChild(BuilderSteps steps, std::string root, int root_mount_fd,
                             std::vector<BindMount> read_only_binds, BuildDirBind build_dir,
                             int parent_pidfd, int error_fd) {
  RunChildPlan plan;
  plan.steps = std::move(steps);
  plan.root = std::move(root);
  plan.root_mount_fd = root_mount_fd;
  plan.read_only_binds = std::move(read_only_binds);
  plan.build_dir = std::move(build_dir);
  plan.parent_pidfd = parent_pidfd;
  plan.error_fd = error_fd;
  plan.seccomp_program = BuilderSeccompProgram();
  for (auto& arg : plan.steps.argv) plan.argv_ptrs.push_back(arg.data());
  plan.argv_ptrs.push_back(nullptr);
  for (auto& var : plan.steps.environment) plan.env_ptrs.push_back(var.data());
  plan.env_ptrs.push_back(nullptr);
  return plan;
}

void RunChild(const RunChildPlan& plan) {
  // With a uid range the sandbox ids are 0, and becoming root of the namespace keeps our
  // capabilities; any other sandbox id is switched to last, after the mounts.
  if (plan.steps.uid == 0) SwitchIds(plan);
  if (plan.steps.bring_up_loopback) BringUpLoopback(plan);
  if (sethostname("localhost", 9) < 0) Fail(plan, "sethostname");
  if (setdomainname("(none)", 6) < 0) Fail(plan, "setdomainname");
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) {
    Fail(plan, "making mounts private");
  }
  AttachRoot(plan);
  for (const BindMount& bind : plan.read_only_binds) BindReadOnly(plan, bind);
  MountAt(plan, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
  BindDevices(plan);
  MountBuildDir(plan);
  if (chroot(plan.root.c_str()) < 0) Fail(plan, "chroot", plan.root.c_str());
  if (chdir("/") < 0) Fail(plan, "chdir /");
  SwitchIds(plan);
  RearmDeathSignal(plan);
  if (chdir(plan.steps.build_dir.c_str()) < 0) Fail(plan, "chdir", plan.steps.build_dir.c_str());
  if (int rc = LoadSeccompProgram(plan.seccomp_program); rc < 0) {
    errno = -rc;
    Fail(plan, "loading the seccomp filter");
  }
  CloseInheritedFdsAtExec(plan);
  Exec(plan);
}

}  // namespace sbx
