#include "fuzz/id_map_kernel/userns_child.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sbx_fuzz {
namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "id_map_kernel: %s: %s\n", what, std::strerror(errno));
  std::abort();
}

// fork() semantics without glibc's fork handlers, and in a new user namespace from birth.
pid_t CloneIntoUserns() {
  return static_cast<pid_t>(
      syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
}

// The child only waits to be killed; it dies with the fuzzer.
[[noreturn]] void ChildMain(pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(0);
  for (;;) pause();
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::optional<std::string> UsernsUnavailableReason() {
  if (geteuid() != 0) return "not running as root (the differential writes ranges as root)";
  // The validator models a namespace whose parent is the initial one, where every id exists.
  std::string self_map = ReadAll("/proc/self/uid_map");
  uint32_t inside = 1, outside = 1, count = 0;
  if (std::sscanf(self_map.c_str(), "%" SCNu32 " %" SCNu32 " %" SCNu32, &inside, &outside,
                  &count) != 3 ||
      inside != 0 || outside != 0 || count != 4294967295u) {
    return "not in the initial user namespace (/proc/self/uid_map is not 0 0 4294967295)";
  }
  pid_t parent = getpid();
  pid_t pid = CloneIntoUserns();
  if (pid < 0) return std::string("cannot create a user namespace: ") + std::strerror(errno);
  if (pid == 0) ChildMain(parent);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return std::nullopt;
}

UsernsChild::~UsernsChild() { Reap(); }

void UsernsChild::Spawn() {
  pid_t parent = getpid();
  pid_ = CloneIntoUserns();
  if (pid_ < 0) Die("clone(CLONE_NEWUSER)");
  if (pid_ == 0) ChildMain(parent);
  std::string path = "/proc/" + std::to_string(pid_) + "/uid_map";
  map_fd_ = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (map_fd_ < 0) Die("open uid_map");
}

void UsernsChild::Reap() {
  if (map_fd_ >= 0) close(map_fd_);
  map_fd_ = -1;
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
}

UsernsChild::WriteResult UsernsChild::WriteUidMap(std::string_view bytes) {
  if (pid_ < 0) Spawn();
  WriteResult result;
  // The map file takes writes at offset 0 only and has no pwrite; a rejected write does not
  // move the offset, but seek anyway so one stray byte cannot poison every later input.
  if (lseek(map_fd_, 0, SEEK_SET) != 0) Die("lseek uid_map");
  ssize_t written = write(map_fd_, bytes.data(), bytes.size());
  if (written < 0) {
    result.error_number = errno;
    return result;  // the map is still unwritten: keep the child for the next input
  }
  if (static_cast<size_t>(written) != bytes.size()) {
    std::fprintf(stderr, "id_map_kernel: short write %zd of %zu\n", written, bytes.size());
    std::abort();
  }
  result.accepted = true;
  // The kernel prints each extent as "%10u %10u %10u\n".
  std::istringstream shown(ReadAll("/proc/" + std::to_string(pid_) + "/uid_map"));
  uint64_t inside, outside, count;
  while (shown >> inside >> outside >> count) {
    result.extents.push_back({static_cast<uint32_t>(inside), static_cast<uint32_t>(outside),
                              static_cast<uint32_t>(count)});
  }
  Reap();  // a map can be written once: the next input needs a fresh namespace
  return result;
}

}  // namespace sbx_fuzz
