#include "sandbox/run/leftover_guard.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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
constexpr char kHold = 'H';
constexpr char kHoldNamespace = 'N';
constexpr char kDone = 'D';

// The guard's own storage: static, so that it exists for as long as the guard may run, and
// touched by nothing but the guard.
constexpr size_t kInputSize = 32 << 10;  // the list: a root and a cgroup path
constexpr size_t kMaxItems = 64;
struct GuardStorage {
  alignas(16) char stack[64 << 10];
  char input[kInputSize + 1];
  char* argv[kMaxItems + 3];
  int from_sbx = -1;
  int to_guard = -1;  // the guard's copy of sbx's write end, closed first
};
GuardStorage g_guard;
std::atomic<bool> g_guard_made{false};

[[noreturn]] void RawExit(int status) {
  for (;;) raw::Syscall3(SYS_exit, status, 0, 0);
}

// Opens each "H" (a path, not followed) or "N" (a /proc namespace link, followed) line's path
// among the complete lines in input[from, size) and keeps it open until the guard ends
// (O_CLOEXEC: also before a cleanup exec). Returns where the first incomplete line starts.
size_t HoldWhatIsListed(char* input, size_t from, size_t size) {
  for (size_t end = from; end < size; ++end) {
    if (input[end] != '\n') continue;
    if (input[from] == kHold || input[from] == kHoldNamespace) {
      const int flags = input[from] == kHold ? O_PATH | O_NOFOLLOW : O_RDONLY;
      input[end] = '\0';  // gone already: nothing to hold
      raw::Syscall3(SYS_open, reinterpret_cast<long>(input + from + 1), flags | O_CLOEXEC, 0);
      input[end] = '\n';
    }
    from = end + 1;
  }
  return from;
}

// Runs on sbx's memory with every signal blocked (so Ctrl-C to the process group does not
// end it before sbx): raw syscalls only, until it exits or execs.
int GuardMain(void*) {
  GuardStorage& g = g_guard;
  raw::Syscall3(SYS_close, g.to_guard, 0, 0);  // else sbx's death would bring no EOF
  // Hold none of the caller's pipes open: /dev/null on 0-2.
  const long null = raw::Syscall3(SYS_open, reinterpret_cast<long>("/dev/null"), O_RDWR, 0);
  for (int fd = 0; fd <= 2 && null >= 0; ++fd) raw::Syscall3(SYS_dup2, null, fd, 0);
  size_t size = 0, seen = 0;
  for (;;) {
    const long n = raw::Syscall3(SYS_read, g.from_sbx, reinterpret_cast<long>(g.input + size),
                                 kInputSize - size);
    if (n == -EINTR) continue;
    if (n <= 0) break;
    size += static_cast<size_t>(n);
    if (size == kInputSize) RawExit(2);  // more than sbx ever sends
    seen = HoldWhatIsListed(g.input, seen, size);
  }
  // "KIND PATH\n" lines; a last line "D" means sbx cleaned up itself.
  if (size >= 2 && g.input[size - 2] == kDone && (size == 2 || g.input[size - 3] == '\n')) {
    RawExit(0);
  }
  size_t argc = 0;
  g.argv[argc++] = const_cast<char*>("sbx");
  g.argv[argc++] = const_cast<char*>(kLeftoverCleanupCommand);
  for (size_t at = 0; at < size && argc < kMaxItems + 2;) {
    size_t end = at;
    while (end < size && g.input[end] != '\n') ++end;
    if (end == size) break;  // a line cut short by sbx's death
    g.input[end] = '\0';
    if (g.input[at] != kHold && g.input[at] != kHoldNamespace) g.argv[argc++] = g.input + at;
    at = end + 1;
  }
  g.argv[argc] = nullptr;
  if (argc == 2) RawExit(0);  // nothing was made yet
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
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) throw SysError("creating the leftover guard's pipe", errno);
  UniqueFd read_end(fds[0]);
  to_guard_.reset(fds[1]);
  g_guard.from_sbx = read_end.get();
  g_guard.to_guard = to_guard_.get();
  // The guard starts with every signal blocked and keeps them so: none of sbx's handlers
  // may run on its memory, and Ctrl-C must not end it.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_ = clone(GuardMain, g_guard.stack + sizeof g_guard.stack, CLONE_VM | SIGCHLD, nullptr);
  const int error = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid_ < 0) throw SysError("starting the leftover guard", error);
}

LeftoverGuard::~LeftoverGuard() {
  const char done[] = {kDone, '\n'};
  (void)!write(to_guard_.get(), done, sizeof done);
  to_guard_.reset();
  if (!reap_) return;  // g_guard_made stays: the storage is the running guard's
  while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  g_guard_made = false;
}

void LeftoverGuard::Send(char kind, std::initializer_list<std::string> paths) {
  std::string lines;
  for (const std::string& path : paths) {
    if (path.find('\n') != std::string::npos) {
      throw SysError("a path with a newline: " + path, EINVAL);
    }
    lines += kind + path + "\n";
  }
  // One write: the guard wakes once.
  if (write(to_guard_.get(), lines.data(), lines.size()) != static_cast<ssize_t>(lines.size())) {
    throw SysError("telling the leftover guard about " + *paths.begin(), errno);
  }
}

void LeftoverGuard::RemoveTreeIfKilled(const std::string& path) { Send(kTree, {path}); }
void LeftoverGuard::DestroyCgroupIfKilled(const std::string& path) { Send(kCgroup, {path}); }
void LeftoverGuard::HoldUntilGuardEnds(std::initializer_list<std::string> paths) {
  Send(kHold, paths);
}
void LeftoverGuard::HoldMountNamespaceUntilGuardEnds(pid_t pid) {
  Send(kHoldNamespace, {"/proc/" + std::to_string(pid) + "/ns/mnt"});
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
