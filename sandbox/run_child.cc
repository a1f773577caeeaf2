#include "sandbox/run_child.h"

#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace sbx {
namespace {

constexpr int kSetupFailed = 125;
constexpr const char* kSearchPath[] = {"/usr/bin", "/bin", "/usr/sbin", "/sbin"};

// Reports "STEP ARG: strerror(errno)" on the error fd and exits; async-signal-safe.
[[noreturn]] void Fail(const RunChildPlan& plan, const char* step, const char* arg = "") {
  const int error = errno;
  char message[512];
  const char* reason = strerrordesc_np(error);
  int n = std::snprintf(message, sizeof message, "%s%s%s: %s", step, *arg ? " " : "", arg,
                        reason ? reason : "unknown error");
  if (n > 0) (void)!write(plan.error_fd, message, std::min<size_t>(n, sizeof message - 1));
  _exit(kSetupFailed);
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

// Read-only bind: bind, then remount read-only keeping the flags the kernel locks in a
// user namespace (nosuid, nodev, noexec, atime), or the remount fails with EPERM.
void BindReadOnly(const RunChildPlan& plan, const char* source, const char* suffix,
                  unsigned long locked) {
  char target[4096];
  Under(plan, suffix, target);
  if (mount(source, target, nullptr, MS_BIND | MS_REC, nullptr) < 0) Fail(plan, "binding", target);
  if (mount(nullptr, target, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | locked, nullptr) < 0) {
    Fail(plan, "making read-only", target);
  }
}

void MinimalDev(const RunChildPlan& plan) {
  MountAt(plan, "tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k");
  static const char* const kNodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
  for (const char* node : kNodes) {
    char host[64], target[4096];
    std::snprintf(host, sizeof host, "/dev/%s", node);
    char suffix[64];
    std::snprintf(suffix, sizeof suffix, "/dev/%s", node);
    int fd = open(Under(plan, suffix, target), O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
    if (fd < 0) Fail(plan, "creating", target);
    close(fd);
    if (mount(host, target, nullptr, MS_BIND, nullptr) < 0) Fail(plan, "binding", target);
  }
  static const char* const kLinks[][2] = {{"/proc/self/fd", "/dev/fd"},
                                          {"/proc/self/fd/0", "/dev/stdin"},
                                          {"/proc/self/fd/1", "/dev/stdout"},
                                          {"/proc/self/fd/2", "/dev/stderr"}};
  for (const auto& link : kLinks) {
    char target[4096];
    if (symlink(link[0], Under(plan, link[1], target)) < 0) Fail(plan, "symlink", target);
  }
  char shm[4096];
  if (mkdir(Under(plan, "/dev/shm", shm), 01777) < 0) Fail(plan, "mkdir", shm);
  MountAt(plan, "tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
}

void SwitchIds(const RunChildPlan& plan) {
  // Supplementary groups the helper could not drop (a rootless caller) go here, where
  // setgroups is still allowed (uid ranges); with "deny" it fails and nothing changes.
  if (setgroups(0, nullptr) < 0 && errno != EPERM) Fail(plan, "setgroups");
  if (setresgid(plan.gid, plan.gid, plan.gid) < 0) Fail(plan, "setgid");
  if (setresuid(plan.uid, plan.uid, plan.uid) < 0) Fail(plan, "setuid");
}

// Spec 17: changing credentials clears the death signal; re-arm it, then make sure the
// parent did not die in between (getppid() says nothing across a pid namespace: ask the
// parent's pidfd).
void RearmDeathSignal(const RunChildPlan& plan) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) Fail(plan, "re-arming the death signal");
  if (plan.parent_pidfd < 0) return;
  struct pollfd pfd = {.fd = plan.parent_pidfd, .events = POLLIN, .revents = 0};
  if (poll(&pfd, 1, 0) != 0) _exit(kSetupFailed);  // the parent is gone
  close(plan.parent_pidfd);
}

// execve, searching the sandbox's PATH for a bare name (execvpe would search the caller's).
[[noreturn]] void Exec(const RunChildPlan& plan) {
  const char* name = plan.argv_ptrs[0];
  if (std::strchr(name, '/') == nullptr) {
    for (const char* dir : kSearchPath) {
      char path[4096];
      std::snprintf(path, sizeof path, "%s/%s", dir, name);
      execve(path, plan.argv_ptrs.data(), plan.env_ptrs.data());
      if (errno != ENOENT && errno != ENOTDIR) Fail(plan, "exec", path);
    }
    errno = ENOENT;
    Fail(plan, "exec", name);
  }
  execve(name, plan.argv_ptrs.data(), plan.env_ptrs.data());
  Fail(plan, "exec", name);
}

}  // namespace

void PrepareArgv(RunChildPlan& plan) {
  plan.argv_ptrs.clear();
  for (auto& arg : plan.argv) plan.argv_ptrs.push_back(arg.data());
  plan.argv_ptrs.push_back(nullptr);
  plan.env_ptrs.clear();
  for (auto& var : plan.env) plan.env_ptrs.push_back(var.data());
  plan.env_ptrs.push_back(nullptr);
}

void RunChild(const RunChildPlan& plan) {
  // With a uid range the sandbox ids are 0, and our host ids are not mapped at all: files we
  // create would fail with EOVERFLOW. Becoming root of the namespace first keeps our
  // capabilities; any other sandbox id is switched to last, after the mounts.
  if (plan.uid == 0) SwitchIds(plan);
  if (plan.bring_up_loopback) BringUpLoopback(plan);
  if (sethostname("localhost", 9) < 0) Fail(plan, "sethostname");
  if (setdomainname("(none)", 6) < 0) Fail(plan, "setdomainname");
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) {
    Fail(plan, "making mounts private");
  }
  // The root becomes a mount point of its own so that chroot sees only what is bound here.
  if (mount(plan.root.c_str(), plan.root.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0) {
    Fail(plan, "binding the root", plan.root.c_str());
  }
  for (const BindMount& bind : plan.read_only_binds) {
    BindReadOnly(plan, bind.source.c_str(), bind.target.c_str(), bind.flags);
  }
  MountAt(plan, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
  MinimalDev(plan);
  MountAt(plan, "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
  if (chroot(plan.root.c_str()) < 0) Fail(plan, "chroot", plan.root.c_str());
  if (chdir("/") < 0) Fail(plan, "chdir /");
  SwitchIds(plan);
  RearmDeathSignal(plan);
  if (chdir(plan.build_dir.c_str()) < 0) Fail(plan, "chdir", plan.build_dir.c_str());
  Exec(plan);
}

}  // namespace sbx
