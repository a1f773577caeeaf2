#include "sandbox/cli/leftover_guard.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "sandbox/builder/sandbox_root.h"
#include "sandbox/cli/read_to_end.h"
#include "sandbox/rules/sys_error.h"
#include "sandbox/start/cgroup.h"

namespace sbx {
namespace {

constexpr char kTree = 'T';
constexpr char kCgroup = 'C';
constexpr char kDone = 'D';

// The guard: reads "KIND PATH\n" lines until EOF; cleans up unless the last was "done".
[[noreturn]] void GuardMain(int from_sbx) {
  // Ctrl-C reaches the whole process group; the guard must outlive sbx to do its job.
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) signal(sig, SIG_IGN);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd : {0, 1, 2}) dup2(null, fd);  // hold none of the caller's pipes open
  const std::string input = ReadToEnd(from_sbx);
  std::vector<std::pair<char, std::string>> items;
  for (size_t at = 0; at < input.size();) {
    size_t end = input.find('\n', at);
    if (end == std::string::npos) break;
    items.emplace_back(input[at], input.substr(at + 1, end - at - 1));
    at = end + 1;
  }
  if (!items.empty() && items.back().first == kDone) _exit(0);
  // Cgroups first: killing what is in them ends the builder before its root goes.
  for (const auto& [kind, path] : items) {
    if (kind != kCgroup) continue;
    try {
      DestroyCgroup(path);
    } catch (const SysError&) {
    }
  }
  for (const auto& [kind, path] : items) {
    if (kind == kTree) RemoveTree(path);
  }
  _exit(0);
}

}  // namespace

LeftoverGuard::LeftoverGuard() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) throw SysError("creating the leftover guard's pipe", errno);
  UniqueFd read_end(fds[0]);
  to_guard_.reset(fds[1]);
  pid_ = fork();
  if (pid_ < 0) throw SysError("forking the leftover guard", errno);
  if (pid_ == 0) {
    to_guard_.reset();
    GuardMain(read_end.get());
  }
}

LeftoverGuard::~LeftoverGuard() {
  std::string done(1, kDone);
  done += '\n';
  (void)!write(to_guard_.get(), done.data(), done.size());
  to_guard_.reset();
}

void LeftoverGuard::Send(char kind, const std::string& path) {
  std::string line = kind + path + "\n";
  if (path.find('\n') != std::string::npos)
    throw SysError("a path with a newline: " + path, EINVAL);
  if (write(to_guard_.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    throw SysError("telling the leftover guard about " + path, errno);
  }
}

void LeftoverGuard::RemoveTreeIfKilled(const std::string& path) { Send(kTree, path); }
void LeftoverGuard::DestroyCgroupIfKilled(const std::string& path) { Send(kCgroup, path); }

}  // namespace sbx
