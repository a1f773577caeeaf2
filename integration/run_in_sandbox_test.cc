// RunInSandbox, the library call behind `sbx run`, used in-process as a build tool would:
// what it returns, what it refuses before anything exists, what it leaves behind (nothing),
// and how a terminating signal ends it. The command's view of the sandbox is sbx_run_test's.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sandbox/rules/exit_codes.h"
#include "sandbox/run/leftover_guard.h"
#include "sandbox/run/sandbox.h"
#include "testing/util.h"

namespace sbx {
namespace {

constexpr auto kSkipErrors = std::filesystem::directory_options::skip_permission_denied;

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

class RunInSandboxTest : public ::testing::TestWithParam<StartMode> {
 protected:
  void SetUp() override {
    const std::string why = testing::UserNamespaceUnavailableReason();
    if (!why.empty()) GTEST_SKIP() << why;
  }
  void TearDown() override {
    if (IsSkipped()) return;
    for (const std::string& path : made_) EXPECT_FALSE(Exists(path)) << path << " was left";
    EXPECT_TRUE(testing::NoChildrenLeft());
  }

  RunConfig Config(std::vector<std::string> command) {
    RunConfig config;
    config.start.mode = GetParam();
    config.start.command = std::move(command);
    return config;
  }

  // Runs, noting what the run made on the host (TearDown checks it is gone).
  RunResult Run(const RunConfig& config, const std::function<void(const StartedRun&)>& also = {}) {
    return RunInSandbox(config, [&](const StartedRun& started) {
      // A private tmpfs root is nowhere on the host; a directory one is, until the end.
      EXPECT_EQ(started.root.empty(), std::string(started.root_kind) == "tmpfs");
      if (!started.root.empty()) {
        EXPECT_TRUE(Exists(started.root)) << started.root;
        made_.push_back(started.root);
      }
      if (!started.build_dir.empty()) made_.push_back(started.build_dir);
      if (also) also(started);
    });
  }

 private:
  std::vector<std::string> made_;
};

TEST_P(RunInSandboxTest, ReturnsTheCommandsExitStatus) {
  RunResult result = Run(Config({"/bin/sh", "-c", "exit 3"}));
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_FALSE(result.builder_error);
  // Killed from outside (the builder is its namespace's init: it cannot be from inside).
  auto kill_builder = [](const StartedRun& s) { kill(s.builder, SIGKILL); };
  EXPECT_EQ(Run(Config({"/bin/sleep", "30"}), kill_builder).exit_code, 128 + SIGKILL);
}

TEST_P(RunInSandboxTest, TellsTheStartBeforeTheCommandEnds) {
  StartedRun seen;
  RunResult result = Run(Config({"/bin/true"}), [&](const StartedRun& s) { seen = s; });
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_GT(seen.builder, 0);
  EXPECT_GT(seen.timings.clone_to_release_us, 0);
  EXPECT_FALSE(seen.build_dir.empty()) << "Nix's build dir is on disk";
  EXPECT_NE(TimingsJson(seen).find("\"clone_to_release\":"), std::string::npos);
}

// What the fds of process `pid` point at, as their /proc links read.
std::vector<std::string> FdTargets(pid_t pid) {
  std::vector<std::string> targets;
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  for (const auto& fd : std::filesystem::directory_iterator(dir, kSkipErrors)) {
    std::error_code error;
    const std::filesystem::path target = std::filesystem::read_symlink(fd.path(), error);
    if (!error) targets.push_back(target.string());
  }
  return targets;
}

// This process's children (it runs no other thread).
std::vector<pid_t> Children() {
  const std::string self = std::to_string(getpid());
  std::istringstream pids(testing::ReadFile("/proc/" + self + "/task/" + self + "/children"));
  return {std::istream_iterator<pid_t>(pids), std::istream_iterator<pid_t>()};
}

// Whether process `pid` has ended: gone, or a zombie not yet reaped by whoever adopted it.
bool Ended(pid_t pid) {
  const std::string stat = testing::ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const size_t state = stat.rfind(") ");
  return state == std::string::npos || stat.compare(state + 2, 1, "Z") == 0;
}

// A process that runs one sandbox and exits (sbx) leaves the last references to the removed
// build dir and to the builder's mount namespace open in the fd table it shares with its
// guard, so that neither their release nor the namespace's teardown is waited for before it
// exits (leftover_guard.h); its exit ends the guard, and with it those references. Run in a
// child of ours, which such a run leaves with a guard until it exits.
TEST_P(RunInSandboxTest, AOneShotRunLeavesTheLastReferencesToItsGuard) {
  int report[2];
  ASSERT_EQ(pipe2(report, O_CLOEXEC), 0);
  const pid_t runner = fork();
  ASSERT_GE(runner, 0);
  if (runner == 0) {
    RunConfig config = Config({"/bin/sleep", "30"});
    config.exits_after_run = true;
    std::string build_dir, mount_ns, line;
    try {
      RunInSandbox(config, [&](const StartedRun& s) {
        build_dir = s.build_dir;
        mount_ns = std::filesystem::read_symlink("/proc/" + std::to_string(s.builder) + "/ns/mnt");
        kill(s.builder, SIGKILL);
      });
      // The guard's table is ours: what we left open, it holds.
      const std::vector<pid_t> guard = Children();
      if (guard.size() != 1) throw std::runtime_error("no single guard");
      const std::vector<std::string> fds = FdTargets(guard[0]);
      for (const std::string& held :
           {build_dir + " (deleted)", build_dir + "/build (deleted)", mount_ns}) {
        if (std::count(fds.begin(), fds.end(), held) != 1) line += "not held: " + held + "; ";
      }
      line += "guard " + std::to_string(guard[0]);
    } catch (const std::exception& e) {
      line = e.what();
    }
    line += "\n";
    (void)!write(report[1], line.data(), line.size());
    _exit(0);
  }
  close(report[1]);
  const std::string line = testing::ReadLine(report[0]);
  close(report[0]);
  int status = 0;
  ASSERT_EQ(waitpid(runner, &status, 0), runner);
  pid_t guard = 0;
  ASSERT_EQ(std::sscanf(line.c_str(), "guard %d", &guard), 1) << line;  // nothing "not held"
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!Ended(guard) && std::chrono::steady_clock::now() < end) usleep(10 * 1000);
  EXPECT_TRUE(Ended(guard)) << "the guard outlived the run's process by 10 s";
}

// A command the builder cannot run: env(1)'s statuses, and the failed step.
TEST_P(RunInSandboxTest, ABuilderThatCannotExecSaysWhy) {
  RunResult result = Run(Config({"/no/such/command"}));
  EXPECT_EQ(result.exit_code, kExitNotFound);
  ASSERT_TRUE(result.builder_error);
  EXPECT_EQ(result.builder_error->error(), ENOENT);
  EXPECT_NE(std::string(result.builder_error->what()).find("in the sandbox"), std::string::npos);
}

// Refused by the plan, before anything exists: a builder that would run as the host's root,
// and a build dir that is not an absolute path.
TEST_P(RunInSandboxTest, RefusesBeforeAnythingExists) {
  RunConfig config = Config({"/bin/true"});
  config.start.use_user_namespace = false;
  config.start.build_user = BuildUser{.uid = 0, .gid = 0, .count = 1};
  EXPECT_THROW(RunInSandbox(config), SysError);
  config = Config({"/bin/true"});
  config.start.build_dir = "relative";
  EXPECT_THROW(RunInSandbox(config), SysError);
}

// SIGTERM during the command ends the run as sbx's would: the builder killed (its 30 s sleep
// not waited for), 128+N, and the process's own handler back afterwards.
TEST_P(RunInSandboxTest, ATerminatingSignalEndsTheRun) {
  struct sigaction before {};
  sigaction(SIGTERM, nullptr, &before);
  auto terminate = [](const StartedRun&) { kill(getpid(), SIGTERM); };
  const auto start = std::chrono::steady_clock::now();
  RunResult result = Run(Config({"/bin/sleep", "30"}), terminate);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(result.exit_code, 128 + SIGTERM);
  struct sigaction after {};
  sigaction(SIGTERM, nullptr, &after);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
}

// One run at a time per process: a second one, started while the first runs, is refused
// before it touches what the first one holds (its signal handlers, its guard), so that a
// SIGTERM still ends the first.
TEST_P(RunInSandboxTest, ASecondRunAtOnceIsRefusedAndLeavesTheFirstAlone) {
  bool refused = false;
  auto nested_then_terminate = [&](const StartedRun&) {
    try {
      RunInSandbox(Config({"/bin/true"}));
    } catch (const SysError& e) {
      refused = e.error() == EBUSY;
    }
    kill(getpid(), SIGTERM);
  };
  const auto start = std::chrono::steady_clock::now();
  RunResult result = Run(Config({"/bin/sleep", "30"}), nested_then_terminate);
  EXPECT_TRUE(refused);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10))
      << "the SIGTERM did not kill the first run's builder";
  EXPECT_EQ(result.exit_code, 128 + SIGTERM);
}

INSTANTIATE_TEST_SUITE_P(Modes, RunInSandboxTest,
                         ::testing::Values(StartMode::kLix, StartMode::kFast),
                         [](const auto& info) {
                           return info.param == StartMode::kLix ? "lix" : "fast";
                         });

}  // namespace
}  // namespace sbx

// A process that runs sandboxes is also what their leftover guards exec (leftover_guard.h).
int main(int argc, char** argv) {
  if (std::optional<int> status = sbx::LeftoverCleanupRequested(argc, argv)) return *status;
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
