#include "sandbox/start/syscalls.h"

#include <stdio.h>  // renameat2
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

#include "sandbox/start/raw_syscall.h"

namespace sbx::sys {
namespace {

// The fault's state lives in a shared anonymous page made when a test first arms a fault:
// a forked helper and a launcher on our memory count with the caller, so "the Nth call"
// is one call of one process, and the caller sees every process's count.
struct FaultState {
  std::atomic<int> calls{0};
  std::atomic<int> fail_at{0};
  std::atomic<int> fail_errno{0};
  std::atomic<int> scope{0};
  std::atomic<pid_t> armed_by{0};
};
FaultState* g_fault = nullptr;  // null until armed: no cost but this test in production

bool InScope(const FaultState& f) {
  const auto scope = static_cast<FaultScope>(f.scope.load(std::memory_order_relaxed));
  if (scope == FaultScope::kEveryProcess) return true;
  const bool caller = getpid() == f.armed_by.load(std::memory_order_relaxed);
  return scope == FaultScope::kCallerOnly ? caller : !caller;
}

// True when this call is the one armed to fail; errno is then set.
bool Injected() {
  FaultState* f = g_fault;
  if (f == nullptr || f->fail_at.load(std::memory_order_relaxed) == 0 || !InScope(*f)) {
    return false;
  }
  if (++f->calls != f->fail_at.load(std::memory_order_relaxed)) return false;
  errno = f->fail_errno.load(std::memory_order_relaxed);
  return true;
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
  g_fault->calls = 0;
  g_fault->fail_errno = error;
  g_fault->scope = static_cast<int>(scope);
  g_fault->armed_by = getpid();
  g_fault->fail_at = nth;
}

int CallCount() { return g_fault ? g_fault->calls.load() : 0; }

int Pipe2(int fds[2], int flags) { return Injected() ? -1 : ::pipe2(fds, flags); }

pid_t Fork() { return Injected() ? -1 : ::fork(); }

int Clone(int (*fn)(void*), void* stack_top, int flags, void* arg, pid_t* child_tid) {
  if (Injected()) return -1;
  return ::clone(fn, stack_top, flags, arg, nullptr, nullptr, child_tid);
}

long Clone3(void* clone_args, size_t size, int (*fn)(void*), void* arg) {
  if (Injected()) return -1;
  long ret = sbx_clone3(clone_args, size, fn, arg);
  if (ret < 0) {
    errno = static_cast<int>(-ret);
    return -1;
  }
  return ret;
}

pid_t WaitPid(pid_t pid, int* status, int options) {
  return Injected() ? -1 : ::waitpid(pid, status, options);
}

ssize_t Read(int fd, void* buf, size_t count) { return Injected() ? -1 : ::read(fd, buf, count); }

ssize_t Write(int fd, const void* buf, size_t count) {
  return Injected() ? -1 : ::write(fd, buf, count);
}

int OpenAt(int dirfd, const char* path, int flags, mode_t mode) {
  return Injected() ? -1 : ::openat(dirfd, path, flags, mode);
}

int RenameAt2(int olddirfd, const char* oldpath, int newdirfd, const char* newpath,
              unsigned flags) {
  return Injected() ? -1 : ::renameat2(olddirfd, oldpath, newdirfd, newpath, flags);
}

int UnlinkAt(int dirfd, const char* path, int flags) {
  return Injected() ? -1 : ::unlinkat(dirfd, path, flags);
}

int Setgroups(size_t size, const gid_t* list) {
  // The raw syscall changes the calling thread only; glibc's wrapper would signal every
  // thread of the process to follow (SIGSETXID), which a launcher sharing the parent's
  // memory must not attempt.
  return Injected() ? -1 : static_cast<int>(::syscall(SYS_setgroups, size, list));
}

int Kill(pid_t pid, int sig) { return Injected() ? -1 : ::kill(pid, sig); }

int PidfdOpen(pid_t pid) {
  return Injected() ? -1 : static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

int Ioctl(int fd, unsigned long request) { return Injected() ? -1 : ::ioctl(fd, request, 0); }

int Prctl(int option, unsigned long arg) { return Injected() ? -1 : ::prctl(option, arg); }

}  // namespace sbx::sys
