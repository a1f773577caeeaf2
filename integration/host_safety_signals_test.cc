// Signals to `sbx run` leave nothing behind: a terminating signal cleans up and exits
// 128+N; killed outright, sbx's leftover guard removes the build dir, a fresh root that is a
// directory (a private tmpfs one is nowhere on the host) and the cgroup, and the builder
// dies with sbx. Cases of the host_safety_test suite (host_safety.h).
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/host_safety.h"
#include "testing/sbx_process.h"
#include "testing/scratch_dir.h"
#include "testing/util.h"

namespace sbx::host_safety {
namespace {

using ::testing::HasSubstr;

// The host path of the fresh root a builder runs in, from its mountinfo line of / ("ROOT
// FSTYPE"): a directory's bind names it in its root field; a private tmpfs (root field /) is
// nowhere on the host: "".
std::string FreshRootOf(const std::string& root_and_type) {
  std::istringstream fields(root_and_type);
  std::string root, type;
  fields >> root >> type;
  if (root == "/" && type == "tmpfs") return "";
  return root.rfind("/sbx-root-", 0) == 0 ? "/dev/shm" + root : root;
}

// Who a signal goes to: sbx, or the process group sbx leads (as timeout(1) and a shell's
// job control send it).
enum class To { kSbx, kItsProcessGroup };

// Starts `sbx run -- sh -c 'print the root; sleep'` with $TMPDIR `tmpdir` (where the build
// dir goes), sends `sig`, and returns sbx's wait status; *root is the fresh root's host
// path ("" for a private tmpfs), *builder the builder's pid.
int SignalSbx(const std::string& mode, int sig, const std::string& tmpdir, std::string* root,
              pid_t* builder, const std::vector<std::string>& options = {}, To to = To::kSbx) {
  *builder = -1;
  *root = "(not printed)";
  int out[2];
  if (pipe2(out, O_CLOEXEC) < 0) return -1;
  const std::string path = testing::SbxPath();
  pid_t sbx = fork();
  if (sbx == 0) {
    setpgid(0, 0);
    dup2(out[1], 1);
    setenv("TMPDIR", tmpdir.c_str(), 1);
    std::vector<std::string> args = {"sbx", "run", "--mode", mode};
    args.insert(args.end(), options.begin(), options.end());
    for (const char* word :
         {"--", "/bin/sh", "-c",
          "sed -n 's|^[0-9]* [0-9]* [0-9:]* \\([^ ]*\\) / .* - \\([^ ]*\\) .*|\\1 \\2|p' "
          "/proc/self/mountinfo | head -n 1; exec sleep 30"}) {
      args.push_back(word);
    }
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(path.c_str(), argv.data());
    _exit(99);
  }
  close(out[1]);
  const std::string line = testing::ReadLine(out[0]);
  close(out[0]);
  if (!line.empty()) *root = FreshRootOf(line);
  // The builder: sbx's child that runs sleep (in lix mode the helper has exited by now).
  const std::string children =
      "/proc/" + std::to_string(sbx) + "/task/" + std::to_string(sbx) + "/children";
  for (int i = 0; i < 500 && *builder <= 0; ++i) {
    std::istringstream pids(testing::ReadFile(children));
    for (pid_t pid; pids >> pid;) {
      if (testing::ReadFile("/proc/" + std::to_string(pid) + "/comm") == "sleep\n") *builder = pid;
    }
    if (*builder <= 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(to == To::kSbx ? sbx : -sbx, sig);
  int status = 0;
  waitpid(sbx, &status, 0);
  return status;
}

bool GoneWithin(const std::string& path, std::chrono::seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (access(path.c_str(), F_OK) == 0) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// True once `dir` holds nothing (the build dir sbx made there is gone).
bool EmptiedWithin(const std::string& dir, std::chrono::seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!testing::TreeOf(dir).empty()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

TEST_P(HostSafetyTest, TerminatingSignalsCleanUpAndExit128PlusN) {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    testing::ScratchDir tmpdir("sbx-signal-tmpdir");
    std::string root;
    pid_t builder;
    const int status = SignalSbx(GetParam(), sig, tmpdir.path(), &root, &builder);
    ASSERT_TRUE(root.empty() || root.find("sbx-root-") != std::string::npos)
        << "no fresh root printed: " << root;
    EXPECT_TRUE(WIFEXITED(status)) << strsignal(sig) << ": wait status " << status;
    EXPECT_EQ(WEXITSTATUS(status), 128 + sig) << strsignal(sig);
    if (!root.empty()) {
      EXPECT_NE(access(root.c_str(), F_OK), 0) << strsignal(sig) << " left " << root;
    }
    EXPECT_TRUE(testing::TreeOf(tmpdir.path()).empty()) << strsignal(sig) << " left a build dir";
  }
}

// Killed outright, sbx cannot clean up; its leftover guard does.
TEST_P(HostSafetyTest, KilledSbxLeavesNoRoot) {
  std::string root;
  pid_t builder;
  // A build user whose host id differs from the builder's first one: only then does the
  // kernel clear the death signal at setuid (spec 17), which sbx must re-arm after it.
  std::vector<std::string> options;
  std::optional<BuildUser> user = testing::MappableBuildUser(1);
  if (user && getuid() == 0) user = BuildUser{.uid = 30001, .gid = 30000, .count = 1};
  if (user) {
    options = {"--build-uid", std::to_string(user->uid), "--build-gid", std::to_string(user->gid)};
  }
  testing::ScratchDir tmpdir("sbx-killed-tmpdir");
  const int status = SignalSbx(GetParam(), SIGKILL, tmpdir.path(), &root, &builder, options);
  ASSERT_TRUE(root.empty() || root.find("sbx-root-") != std::string::npos)
      << "no fresh root printed: " << root;
  ASSERT_GT(builder, 0) << "no builder running sleep";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  // A private tmpfs root is nowhere on the host; a directory one must go.
  if (!root.empty()) EXPECT_TRUE(GoneWithin(root, std::chrono::seconds(10))) << "left " << root;
  EXPECT_TRUE(EmptiedWithin(tmpdir.path(), std::chrono::seconds(10))) << "left the build dir";
  // Spec 17: the death signal, re-armed after the builder's setuid, ends it with sbx (it
  // would live on had the credential change cleared it).
  EXPECT_TRUE(GoneWithin("/proc/" + std::to_string(builder), std::chrono::seconds(10)))
      << "the builder outlived sbx";
}

// The same when the SIGKILL goes to sbx's whole process group (timeout -s KILL, the end of a
// job): the guard, in a group of its own, is not in it.
TEST_P(HostSafetyTest, KilledProcessGroupLeavesNoBuildDir) {
  testing::ScratchDir tmpdir("sbx-killed-tmpdir");
  std::string root;
  pid_t builder;
  const int status =
      SignalSbx(GetParam(), SIGKILL, tmpdir.path(), &root, &builder, {}, To::kItsProcessGroup);
  ASSERT_GT(builder, 0) << "no builder running sleep";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  if (!root.empty()) EXPECT_TRUE(GoneWithin(root, std::chrono::seconds(10))) << "left " << root;
  EXPECT_TRUE(EmptiedWithin(tmpdir.path(), std::chrono::seconds(10))) << "left the build dir";
  EXPECT_TRUE(GoneWithin("/proc/" + std::to_string(builder), std::chrono::seconds(10)));
}

// The same for a --cgroup sbx made: the guard kills what is in it and removes it.
TEST_P(HostSafetyTest, KilledSbxLeavesNoCgroup) {
  const std::string base = testing::CgroupBase();
  if (base.empty()) {
    GTEST_SKIP() << "no cgroup v2 hierarchy this user may write (needs root, or a delegated "
                    "cgroup as in the VM)";
  }
  const std::string cgroup = base + "/sbx-killed-" + std::to_string(getpid());
  testing::ScratchDir tmpdir("sbx-killed-tmpdir");
  std::string root;
  pid_t builder;
  const int status =
      SignalSbx(GetParam(), SIGKILL, tmpdir.path(), &root, &builder, {"--cgroup", cgroup});
  ASSERT_GT(builder, 0) << "no builder running sleep";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  EXPECT_TRUE(GoneWithin(cgroup, std::chrono::seconds(10))) << "left " << cgroup;
  EXPECT_TRUE(GoneWithin("/proc/" + std::to_string(builder), std::chrono::seconds(10)));
}

}  // namespace
}  // namespace sbx::host_safety
