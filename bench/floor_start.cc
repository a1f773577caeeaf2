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
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

#include "bench/scratch_root.h"
#include "sandbox/rules/passwd.h"
#include "sandbox/start/pidfd_namespace.h"

namespace sbx_bench {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Fail(const std::string& step) {
  throw std::system_error(errno, std::generic_category(), "floor: " + step);
}

int64_t Micros(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::microseconds>(to - from).count();
}

// The files StartChild writes, the same bytes: generated once per thread, outside the time.
const sbx::EtcFiles& EtcFilesOfTheSeed() {
  thread_local const sbx::EtcFiles files = [] {
    std::string error;
    std::optional<sbx::EtcFiles> etc = sbx::GenerateEtcFiles(1000, 100, "/build", &error);
    if (!etc) throw std::runtime_error("floor: " + error);
    return *etc;
  }();
  return files;
}

void WriteNewFile(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) Fail("open " + path);
  ssize_t n = write(fd, text.data(), text.size());
  int saved = errno;
  close(fd);
  errno = saved;
  if (n != static_cast<ssize_t>(text.size())) Fail("write " + path);
}

int NamespaceFd(int pidfd, unsigned long request, const char* what) {
  int fd = ioctl(pidfd, request, 0);
  if (fd < 0) Fail(std::string("namespace fd from the pidfd: ") + what);
  return fd;
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

sbx::PhaseTimings FloorStart(int ns_flags, FloorWork work) {
  thread_local ChildStack stack;
  const bool whole = work == FloorWork::kWholeStart;
  thread_local ScratchRoot root;
  const sbx::EtcFiles& etc = EtcFilesOfTheSeed();
  root.Clear();
  sbx::PhaseTimings t;

  const Clock::time_point start = Clock::now();
  int release[2];
  if (pipe2(release, O_CLOEXEC) < 0) Fail("pipe2");
  Clock::time_point mark = Clock::now();
  t.setup_us = Micros(start, mark);
  if (whole) {
    WriteNewFile(root.path() + "/etc/passwd", etc.passwd);
    WriteNewFile(root.path() + "/etc/group", etc.group);
    const Clock::time_point now = Clock::now();
    t.files_us = Micros(mark, now);
    mark = now;
  }
  const Clock::time_point cloning = mark;
  int pidfd = -1;
  pid_t pid = clone(ChildWaitsForRelease, stack.top(),
                    CLONE_VM | ns_flags | SIGCHLD | (whole ? CLONE_PIDFD : 0), &release[0], &pidfd);
  if (pid < 0) {
    int saved = errno;
    close(release[0]);
    close(release[1]);
    errno = saved;
    Fail("clone");
  }
  const Clock::time_point cloned = Clock::now();
  t.clone_us = Micros(cloning, cloned);

  int ns_fds[2] = {-1, -1};
  auto abandon = [&] {
    // The child holds its own copy of the write end, so it would never see EOF.
    kill(pid, SIGKILL);
    close(release[1]);
    close(release[0]);
    for (int fd : {pidfd, ns_fds[0], ns_fds[1]}) {
      if (fd >= 0) close(fd);
    }
    int status;
    waitpid(pid, &status, __WALL);
  };
  Clock::time_point mapped = cloned;
  try {
    // The parent's ids: the seed maps the caller's own ids when there is no build user.
    if (ns_flags & CLONE_NEWUSER) {
      char map[48];
      int len = std::snprintf(map, sizeof(map), "1000 %u 1", getuid());
      WriteFile(pid, "uid_map", map, len);
      WriteFile(pid, "setgroups", "deny", 4);
      len = std::snprintf(map, sizeof(map), "100 %u 1", getgid());
      WriteFile(pid, "gid_map", map, len);
    }
    mapped = Clock::now();
    t.maps_us = Micros(cloned, mapped);
    if (whole) {
      ns_fds[0] = NamespaceFd(pidfd, sbx::kPidfdGetMountNamespace, "mount");
      if (ns_flags & CLONE_NEWUSER)
        ns_fds[1] = NamespaceFd(pidfd, sbx::kPidfdGetUserNamespace, "user");
      const Clock::time_point now = Clock::now();
      t.nsfds_us = Micros(mapped, now);
      mapped = now;
    }
  } catch (...) {
    abandon();
    throw;
  }

  ssize_t n = write(release[1], "1", 1);
  int saved = errno;
  close(release[1]);
  const Clock::time_point released = Clock::now();
  close(release[0]);
  for (int fd : {pidfd, ns_fds[0], ns_fds[1]}) {
    if (fd >= 0) close(fd);
  }
  if (n != 1) {
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, __WALL);
    errno = saved;
    Fail("write release");
  }

  t.release_us = Micros(mapped, released);
  t.clone_to_release_us = Micros(cloning, released);
  t.call_to_release_us = Micros(start, released);
  Reap(pid);
  return t;
}

}  // namespace sbx_bench
