#include "sandbox/base/syscalls.h"

#include <stdio.h>  // renameat2, snprintf
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <new>

#include "sandbox/base/raw_syscall.h"

namespace sbx::sys {
namespace {

// The fault's state lives in a shared anonymous page made when a test first arms a fault:
// a forked helper and a launcher on our memory count with the caller, so "the Nth call"
// is one call of one process, and the caller sees every process's count.
constexpr int kTraceSize = 128;
struct FaultState {
  std::atomic<int> calls{0};
  std::atomic<int> fail_at{0};
  std::atomic<int> fail_errno{0};
  std::atomic<int> also_at{0};
  std::atomic<int> also_errno{0};
  std::atomic<int> scope{0};
  std::atomic<pid_t> armed_by{0};
  char trace[kTraceSize][192];
};
FaultState* g_fault = nullptr;  // null until armed: no cost but this test in production

bool InScope(const FaultState& f) {
  const auto scope = static_cast<FaultScope>(f.scope.load(std::memory_order_relaxed));
  if (scope == FaultScope::kEveryProcess) return true;
  const bool caller = getpid() == f.armed_by.load(std::memory_order_relaxed);
  return scope == FaultScope::kCallerOnly ? caller : !caller;
}

// What a call acted on, for the trace: paths, or what an fd names (and a write's first
// bytes, so that a release "1" and an abort "0" differ). No heap: a launcher on the
// caller's memory records too.
struct Detail {
  const char* path = nullptr;
  const char* path2 = nullptr;
  int fd = -1;
  const void* data = nullptr;
  size_t size = 0;
  long arg = -1;
};

void Record(char* out, size_t size, const FaultState& f, const char* name, const Detail& d) {
  const bool caller = getpid() == f.armed_by.load(std::memory_order_relaxed);
  size_t n = 0;
  auto add = [&](const char* format, auto value) {
    if (n < size) n += static_cast<size_t>(snprintf(out + n, size - n, format, value));
  };
  add("%s", caller ? "caller" : "helper");
  add(" %s", name);
  if (d.arg >= 0) add(" %ld", d.arg);
  if (d.path) add(" %s", d.path);
  if (d.path2) add(" %s", d.path2);
  if (d.fd >= 0) {
    char proc[32], link[128] = {};
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", d.fd);
    if (readlink(proc, link, sizeof link - 1) < 0) link[0] = '?';
    add(" %s", link);
  }
  if (d.data) {
    char bytes[9] = {};
    for (size_t i = 0; i < d.size && i < 8; ++i) {
      const char c = static_cast<const char*>(d.data)[i];
      bytes[i] = c == '\n' ? '|' : c;
    }
    add(" %s", bytes);
  }
}

// True when this call is one armed to fail; errno is then set.
bool Injected(const char* name, const Detail& detail = {}) {
  FaultState* f = g_fault;
  if (f == nullptr || f->fail_at.load(std::memory_order_relaxed) == 0 || !InScope(*f)) {
    return false;
  }
  const int saved = errno;
  const int n = ++f->calls;
  if (n <= kTraceSize) Record(f->trace[n - 1], sizeof f->trace[0], *f, name, detail);
  errno = saved;
  if (n == f->fail_at.load(std::memory_order_relaxed)) {
    errno = f->fail_errno.load(std::memory_order_relaxed);
    return true;
  }
  if (n == f->also_at.load(std::memory_order_relaxed)) {
    errno = f->also_errno.load(std::memory_order_relaxed);
    return true;
  }
  return false;
}

}  // namespace

void FailNthCall(int nth, int error, FaultScope scope) {
  if (g_fault == nullptr) {
    void* page = mmap(nullptr, sizeof(FaultState), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) std::abort();  // test-only path
    g_fault = new (page) FaultState;
  }
  g_fault->fail_at = 0;
  g_fault->also_at = 0;
  g_fault->calls = 0;
  g_fault->fail_errno = error;
  g_fault->scope = static_cast<int>(scope);
  g_fault->armed_by = getpid();
  g_fault->fail_at = nth;
}

void AlsoFailNthCall(int nth, int error) {
  if (g_fault == nullptr) return;
  g_fault->also_errno = error;
  g_fault->also_at = nth;
}

int CallCount() { return g_fault ? g_fault->calls.load() : 0; }

std::vector<std::string> CallTrace() {
  std::vector<std::string> calls;
  for (int i = 0; i < CallCount() && i < kTraceSize; ++i) calls.emplace_back(g_fault->trace[i]);
  return calls;
}

int Pipe2(int fds[2], int flags) { return Injected("pipe2") ? -1 : ::pipe2(fds, flags); }

pid_t Fork() { return Injected("fork") ? -1 : ::fork(); }

int Clone(int (*fn)(void*), void* stack_top, int flags, void* arg, pid_t* child_tid,
          pid_t* parent_tid) {
  if (Injected("clone")) return -1;
  return ::clone(fn, stack_top, flags, arg, parent_tid, nullptr, child_tid);
}

long Clone3(void* clone_args, size_t size, int (*fn)(void*), void* arg) {
  if (Injected("clone3")) return -1;
  long ret = sbx_clone3(clone_args, size, fn, arg);
  if (ret < 0) {
    errno = static_cast<int>(-ret);
    return -1;
  }
  return ret;
}

pid_t WaitPid(pid_t pid, int* status, int options) {
  return Injected("waitpid") ? -1 : ::waitpid(pid, status, options);
}

ssize_t Read(int fd, void* buf, size_t count) {
  return Injected("read", {.fd = fd}) ? -1 : ::read(fd, buf, count);
}

ssize_t Write(int fd, const void* buf, size_t count) {
  return Injected("write", {.fd = fd, .data = buf, .size = count}) ? -1 : ::write(fd, buf, count);
}

int OpenAt(int dirfd, const char* path, int flags, mode_t mode) {
  return Injected("openat", {.path = path}) ? -1 : ::openat(dirfd, path, flags, mode);
}

int OpenAt2(int dirfd, const char* path, const open_how& how) {
  return Injected("openat2", {.path = path})
             ? -1
             : static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

int RenameAt2(int olddirfd, const char* oldpath, int newdirfd, const char* newpath,
              unsigned flags) {
  return Injected("renameat2", {.path = oldpath, .path2 = newpath, .arg = flags})
             ? -1
             : ::renameat2(olddirfd, oldpath, newdirfd, newpath, flags);
}

int UnlinkAt(int dirfd, const char* path, int flags) {
  return Injected("unlinkat", {.path = path}) ? -1 : ::unlinkat(dirfd, path, flags);
}

int LinkAt(int olddirfd, const char* oldpath, int newdirfd, const char* newpath, int flags) {
  return Injected("linkat", {.path = oldpath, .path2 = newpath})
             ? -1
             : ::linkat(olddirfd, oldpath, newdirfd, newpath, flags);
}

int Setgroups(size_t size, const gid_t* list) {
  // The raw syscall changes the calling thread only; glibc's wrapper would signal every
  // thread of the process to follow (SIGSETXID), which a launcher sharing the parent's
  // memory must not attempt.
  return Injected("setgroups") ? -1 : static_cast<int>(::syscall(SYS_setgroups, size, list));
}

int Kill(pid_t pid, int sig) { return Injected("kill", {.arg = sig}) ? -1 : ::kill(pid, sig); }

int PidfdOpen(pid_t pid) {
  return Injected("pidfd_open") ? -1 : static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

int Ioctl(int fd, unsigned long request) {
  return Injected("ioctl", {.arg = static_cast<long>(request)}) ? -1 : ::ioctl(fd, request, 0);
}

int Prctl(int option, unsigned long arg) {
  return Injected("prctl", {.arg = option}) ? -1 : ::prctl(option, arg);
}

}  // namespace sbx::sys
