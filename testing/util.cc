#include "testing/util.h"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "sandbox/base/unique_fd.h"
#include "testing/file_read.h"

namespace sbx::testing {

std::set<int> OpenFds() {
  std::set<int> fds;
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) throw std::runtime_error("opendir /proc/self/fd");
  const int own = dirfd(dir);
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    int fd = std::atoi(entry->d_name);
    if (fd != own) fds.insert(fd);
  }
  closedir(dir);
  return fds;
}

bool NoChildrenLeft() { return waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD; }

std::string ReadFile(const std::string& path) { return ReadWholeFile(path).value_or(""); }

std::string NormalizeMap(const std::string& proc_text) {
  std::istringstream lines(proc_text);
  std::string out;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string inside, outside, count;
    if (!(fields >> inside >> outside >> count)) continue;
    if (!out.empty()) out += "\n";
    out += inside + " " + outside + " " + count;
  }
  return out;
}

namespace {

// The start of this user's first range of at least `count` ids in an /etc/sub[ug]id file.
std::optional<uint32_t> SubordinateStart(const char* file, uint32_t count) {
  passwd* pw = getpwuid(getuid());
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string owner, start, length;
    if (!std::getline(fields, owner, ':') || !std::getline(fields, start, ':') ||
        !std::getline(fields, length)) {
      continue;
    }
    bool mine = owner == std::to_string(getuid()) || (pw && owner == pw->pw_name);
    if (mine && std::stoul(length) >= count) return static_cast<uint32_t>(std::stoul(start));
  }
  return std::nullopt;
}

}  // namespace

std::optional<BuildUser> MappableBuildUser(uint32_t count) {
  if (getuid() == 0) return BuildUser{.uid = 872415232, .gid = 872415232, .count = count};
  auto uid = SubordinateStart("/etc/subuid", count);
  auto gid = SubordinateStart("/etc/subgid", count);
  if (!uid || !gid || access("/usr/bin/newuidmap", X_OK) != 0) return std::nullopt;
  return BuildUser{.uid = *uid, .gid = *gid, .count = count};
}

std::string ReadAvailable(int fd) {
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  fcntl(fd, F_SETFL, flags);
  return text;
}

std::string ReadLine(int fd) {
  std::string line;
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n') line += c;
  return line;
}

std::string Observe(const StartConfig& config, const std::function<std::string()>& probe) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) throw std::runtime_error("pipe2");
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  Child child = StartChild(config, nullptr, [&probe, fd = fds[1]]() -> int {
    const std::string seen = probe();
    return write(fd, seen.data(), seen.size()) == static_cast<ssize_t>(seen.size()) ? 0 : 3;
  });
  write_end.reset();
  const int status = child.Wait();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("the observing child ended with wait status " +
                             std::to_string(status));
  }
  return ReadAvailable(read_end.get());
}

int ExecWaitingOn(int fd, int status) {
  if (dup2(fd, 0) < 0) return 100;
  const std::string script = "read -r line; exit " + std::to_string(status);
  execl("/bin/sh", "sh", "-c", script.c_str(), nullptr);
  return 101;
}

std::string CgroupBase() {
  if (const char* dir = std::getenv("SBX_VM_CGROUP")) return dir;
  for (const char* dir : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
    if (access((std::string(dir) + "/cgroup.procs").c_str(), W_OK) == 0 &&
        access((std::string(dir) + "/cgroup.max.depth").c_str(), F_OK) == 0) {
      return dir;
    }
  }
  return "";
}

}  // namespace sbx::testing
