#include "bench/floor_start.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>
#include <system_error>

namespace sbx_bench {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Fail(const std::string& step) {
  throw std::system_error(errno, std::generic_category(), "floor: " + step);
}

double Micros(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::micro>(to - from).count();
}

// A small stack per thread, mapped once: the child only reads one byte and exits.
class ChildStack {
 public:
  static constexpr size_t kSize = 64 * 1024;
  ChildStack() {
    base_ = mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                 -1, 0);
    if (base_ == MAP_FAILED) Fail("mmap child stack");
  }
  ~ChildStack() { munmap(base_, kSize); }
  void* top() const { return static_cast<char*>(base_) + kSize; }

 private:
  void* base_;
};

// Runs in the child, on the shared address space: raw syscalls only, no libc state touched.
int ChildWaitsForRelease(void* arg) {
  int fd = *static_cast<int*>(arg);
  char byte = 0;
  long n = syscall(SYS_read, fd, &byte, 1);
  syscall(SYS_exit, (n == 1 && byte == '1') ? 0 : 1);
  return 1;
}

void WriteFile(pid_t pid, const char* name, const char* text, size_t len) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) Fail(std::string("open ") + path);
  ssize_t n = write(fd, text, len);
  int saved = errno;
  close(fd);
  errno = saved;
  if (n != static_cast<ssize_t>(len)) Fail(std::string("write ") + path);
}

void Reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, __WALL) < 0) {
    if (errno != EINTR) Fail("waitpid");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    errno = ECHILD;
    Fail("child did not see the release (status " + std::to_string(status) + ")");
  }
}

}  // namespace

StartSample FloorStart(int ns_flags) {
  thread_local ChildStack stack;
  StartSample sample;

  const Clock::time_point start = Clock::now();
  int release[2];
  if (pipe2(release, O_CLOEXEC) < 0) Fail("pipe2");
  pid_t pid = clone(ChildWaitsForRelease, stack.top(), CLONE_VM | ns_flags | SIGCHLD, &release[0]);
  if (pid < 0) {
    int saved = errno;
    close(release[0]);
    close(release[1]);
    errno = saved;
    Fail("clone");
  }
  const Clock::time_point cloned = Clock::now();

  // The parent's ids: the seed maps the caller's own ids when there is no build user.
  if (ns_flags & CLONE_NEWUSER) {
    try {
      char map[48];
      int len = std::snprintf(map, sizeof(map), "1000 %u 1", getuid());
      WriteFile(pid, "uid_map", map, len);
      WriteFile(pid, "setgroups", "deny", 4);
      len = std::snprintf(map, sizeof(map), "100 %u 1", getgid());
      WriteFile(pid, "gid_map", map, len);
    } catch (...) {
      // The child holds its own copy of the write end, so it would never see EOF.
      kill(pid, SIGKILL);
      close(release[1]);
      close(release[0]);
      int status;
      waitpid(pid, &status, __WALL);
      throw;
    }
  }
  const Clock::time_point mapped = Clock::now();

  ssize_t n = write(release[1], "1", 1);
  int saved = errno;
  close(release[1]);
  const Clock::time_point released = Clock::now();
  close(release[0]);
  if (n != 1) {
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, __WALL);
    errno = saved;
    Fail("write release");
  }

  sample.latency_s = std::chrono::duration<double>(released - start).count();
  sample.phases.clone_us = Micros(start, cloned);
  sample.phases.maps_us = Micros(cloned, mapped);
  sample.phases.release_us = Micros(mapped, released);
  Reap(pid);
  return sample;
}

}  // namespace sbx_bench
