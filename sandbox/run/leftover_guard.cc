#include "sandbox/run/leftover_guard.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <vector>

#include "sandbox/base/raw_syscall.h"
#include "sandbox/base/sys_error.h"
#include "sandbox/root/remove_tree.h"
#include "sandbox/start/cgroup.h"

namespace sbx {
namespace {

constexpr char kTree = 'T';
constexpr char kCgroup = 'C';

// The guard's storage: static, so that it exists for as long as the guard may run. Only the
// list is written by sbx (before it publishes the new size); the rest is the guard's.
constexpr size_t kListSize = 32 << 10;  // the list: a root, a build dir and a cgroup path
constexpr size_t kMaxItems = 64;
struct GuardStorage {
  alignas(16) char stack[64 << 10];
  char list[kListSize + 1];  // "KIND PATH\n" lines
  std::atomic<size_t> list_size{0};
  std::atomic<bool> done{false};
  int sbx_pidfd = -1;
  long sbx_pid = -1;
  char* argv[kMaxItems + 3];
};
GuardStorage g_guard;
std::atomic<bool> g_guard_made{false};

[[noreturn]] void RawExit(int status) {
  for (;;) raw::Syscall3(SYS_exit, status, 0, 0);
}

// Runs on sbx's memory and fd table with every signal blocked (so Ctrl-C to the process group
// does not end it before sbx): raw syscalls only, until it exits or execs.
int GuardMain(void*) {
  GuardStorage& g = g_guard;
  struct pollfd sbx_ended = {.fd = g.sbx_pidfd, .events = POLLIN, .revents = 0};
  // sbx's exit makes its pidfd readable, after it has given us to another parent. Should
  // poll return while sbx lives (the pidfd closed under us: the fd table is sbx's too), we
  // look at our parent every 10 ms instead.
  for (;;) {
    raw::Syscall3(SYS_poll, reinterpret_cast<long>(&sbx_ended), 1, -1);
    if (raw::Syscall3(SYS_getppid, 0, 0, 0) != g.sbx_pid) break;
    const struct timespec pause = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
    raw::Syscall3(SYS_nanosleep, reinterpret_cast<long>(&pause), 0, 0);
  }
  // sbx has exited: nothing writes our memory any more.
  if (g.done.load(std::memory_order_acquire)) {
    // The caller's pipes first (the rest of sbx's fds, what it held, go with our exit).
    for (int fd = 0; fd <= 2; ++fd) raw::Syscall3(SYS_close, fd, 0, 0);
    RawExit(0);
  }
  const size_t size = g.list_size.load(std::memory_order_acquire);
  size_t argc = 0;
  g.argv[argc++] = const_cast<char*>("sbx");
  g.argv[argc++] = const_cast<char*>(kLeftoverCleanupCommand);
  for (size_t at = 0; at < size && argc < kMaxItems + 2;) {
    size_t end = at;
    while (end < size && g.list[end] != '\n') ++end;
    g.list[end] = '\0';
    g.argv[argc++] = g.list + at;
    at = end + 1;
  }
  g.argv[argc] = nullptr;
  if (argc == 2) RawExit(0);  // nothing was made yet
  // Hold none of the caller's pipes open while cleaning up: /dev/null on 0-2.
  const long null = raw::Syscall3(SYS_open, reinterpret_cast<long>("/dev/null"), O_RDWR, 0);
  for (int fd = 0; fd <= 2 && null >= 0; ++fd) raw::Syscall3(SYS_dup2, null, fd, 0);
  static char* const kNoEnvironment[] = {nullptr};
  raw::Syscall3(SYS_execve, reinterpret_cast<long>("/proc/self/exe"),
                reinterpret_cast<long>(g.argv), reinterpret_cast<long>(kNoEnvironment));
  RawExit(127);
}

}  // namespace

LeftoverGuard::LeftoverGuard(bool reap) : reap_(reap) {
  if (g_guard_made.exchange(true)) {
    throw SysError("a second leftover guard in one process", EBUSY);
  }
  self_.reset(static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0)));
  if (!self_) {
    const int error = errno;
    g_guard_made = false;
    throw SysError("opening a pidfd of this process for the leftover guard", error);
  }
  g_guard.list_size.store(0, std::memory_order_relaxed);
  g_guard.done.store(false, std::memory_order_relaxed);
  g_guard.sbx_pidfd = self_.get();
  g_guard.sbx_pid = getpid();
  // The guard starts with every signal blocked and keeps them so: none of sbx's handlers
  // may run on its memory, and Ctrl-C must not end it.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_ = clone(GuardMain, g_guard.stack + sizeof g_guard.stack, CLONE_VM | CLONE_FILES | SIGCHLD,
               nullptr);
  int error = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid_ < 0) {
    g_guard_made = false;
    throw SysError("starting the leftover guard", error);
  }
  // A process group of its own, before anything is made: a SIGKILL to sbx's group (timeout(1),
  // a job's end, a test runner's timeout) must not take the guard with it.
  if (setpgid(pid_, pid_) < 0) {
    error = errno;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    g_guard_made = false;
    throw SysError("giving the leftover guard a process group of its own", error);
  }
}

LeftoverGuard::~LeftoverGuard() {
  g_guard.done.store(true, std::memory_order_release);
  if (!reap_) {
    // Our exit wakes the guard, which exits and releases what we leave open (the holds,
    // self_): g_guard_made stays, the storage is the running guard's.
    (void)self_.release();
    return;
  }
  kill(pid_, SIGKILL);  // our child, not yet reaped: its pid is still its own
  while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  g_guard_made = false;
}

void LeftoverGuard::Append(char kind, const std::string& path) {
  if (!CanList(path)) throw SysError("a path with a newline: " + path, EINVAL);
  const std::string line = kind + path + "\n";
  const size_t size = g_guard.list_size.load(std::memory_order_relaxed);
  if (size + line.size() > kListSize) {
    throw SysError("the leftover guard's list is full, at " + path, ENOSPC);
  }
  line.copy(g_guard.list + size, line.size());
  // Published whole: a guard that finds us dead reads complete lines only.
  g_guard.list_size.store(size + line.size(), std::memory_order_release);
}

void LeftoverGuard::RemoveTreeIfKilled(const std::string& path) { Append(kTree, path); }
void LeftoverGuard::DestroyCgroupIfKilled(const std::string& path) { Append(kCgroup, path); }

void LeftoverGuard::HoldUntilGuardEnds(int fd) {
  if (reap_) return;  // it ends with our wait for it: nothing would be released later
  // Never closed by us: the copy in the table we share goes with the guard's exit.
  if (fcntl(fd, F_DUPFD_CLOEXEC, 3) < 0) {
    throw SysError("keeping an fd open for the leftover guard", errno);
  }
}

namespace {

constexpr int kRemoveAttempts = 50;  // one second

int LeftoverCleanupMain(const std::vector<std::string>& items) {
  int status = 0;
  for (const std::string& item : items) {
    if (item.size() < 2 || item[0] != kCgroup) continue;
    try {
      DestroyCgroup(item.substr(1));
    } catch (const SysError&) {
      status = 1;
    }
  }
  for (const std::string& item : items) {
    if (item.size() < 2 || item[0] != kTree) continue;
    // Without a cgroup, the builder's processes die with sbx (their death signal, or their
    // pid namespace's init) but may still be writing: walk again until nothing is left.
    bool removed = false;
    for (int attempt = 0; attempt < kRemoveAttempts && !removed; ++attempt) {
      if (attempt > 0) usleep(20 * 1000);
      removed = RemoveTree(item.substr(1));
    }
    if (!removed) status = 1;
  }
  return status;
}

}  // namespace

std::optional<int> LeftoverCleanupRequested(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) != kLeftoverCleanupCommand) return std::nullopt;
  return LeftoverCleanupMain({argv + 2, argv + argc});
}

}  // namespace sbx
