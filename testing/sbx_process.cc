#include "testing/sbx_process.h"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

namespace sbx::testing {

std::string RunfilePath(const std::string& path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  return std::string(srcdir ? srcdir : ".") + "/" + (workspace ? workspace : "sbx") + "/" + path;
}

std::string SbxPath() { return RunfilePath("sandbox/sbx"); }

std::string ReadAll(int fd) {
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<size_t>(n));
  return out;
}

Outcome Sbx(const std::vector<std::string>& args, const std::string& input,
            std::optional<std::pair<uid_t, gid_t>> as, const InChild& in_child) {
  const std::string path = SbxPath();
  int binary = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(binary, 0) << path;
  Outcome outcome = SbxFromFd(binary, args, input, as, in_child);
  close(binary);
  return outcome;
}

Outcome SbxFromFd(int binary, const std::vector<std::string>& args, const std::string& input,
                  std::optional<std::pair<uid_t, gid_t>> as, const InChild& in_child) {
  int in[2], out[2], err[2];
  EXPECT_EQ(pipe2(in, O_CLOEXEC), 0);
  EXPECT_EQ(pipe2(out, O_CLOEXEC), 0);
  EXPECT_EQ(pipe2(err, O_CLOEXEC), 0);
  std::string name = "sbx";
  std::vector<char*> argv = {name.data()};
  std::vector<std::string> copy = args;
  for (std::string& arg : copy) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    if (as && (setgroups(0, nullptr) != 0 || setresgid(as->second, as->second, as->second) != 0 ||
               setresuid(as->first, as->first, as->first) != 0)) {
      _exit(kChildSetupFailed);
    }
    if (in_child && !in_child()) _exit(kChildSetupFailed);
    fexecve(binary, argv.data(), environ);
    _exit(98);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  size_t done = 0;
  while (done < input.size()) {
    ssize_t n = write(in[1], input.data() + done, input.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  close(in[1]);
  Outcome outcome;
  outcome.out = ReadAll(out[0]);
  outcome.err = ReadAll(err[0]);
  close(out[0]);
  close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return outcome;
}

}  // namespace sbx::testing
