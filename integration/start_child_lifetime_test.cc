// The builder's lifetime after StartChild in each mode: it is the caller's child and is
// reaped once (a second Wait reaps nothing else), the helper and the builder die with the
// parent, and a stray holder of the release pipe does not hold the builder back. Cases of
// the start_child_test suite (start_child_fixture.h).
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/start_child_fixture.h"
#include "sandbox/base/sys_error.h"
#include "sandbox/base/unique_fd.h"
#include "sandbox/start/start_child.h"
#include "testing/util.h"

namespace sbx {
namespace {

using testing::ExecWaitingOn;
using ::testing::HasSubstr;
using testing::ReadAvailable;
using testing::ReadFile;

// A second Wait must not wait for some other child (waitpid(-1) would).
TEST_P(StartChildTest, WaitingTwiceIsAnErrorAndReapsNothingElse) {
  pid_t other = fork();
  ASSERT_GE(other, 0);
  if (other == 0) _exit(0);
  Child child = StartChild(Config(), nullptr, [] { return 0; });
  EXPECT_EQ(child.Wait(), 0);
  usleep(100000);  // let `other` exit: a waitpid(-1) would reap it now
  EXPECT_THROW(child.Wait(), SysError);
  EXPECT_EQ(waitpid(other, nullptr, 0), other) << "the second Wait reaped another child";
}

TEST_P(StartChildTest, ChildIsTheParentsChildAndIsReaped) {
  int hold[2];
  ASSERT_EQ(pipe2(hold, O_CLOEXEC), 0);
  UniqueFd hold_read(hold[0]), hold_write(hold[1]);
  Child child = StartChild(Config(), nullptr, [fd = hold[0]] { return ExecWaitingOn(fd, 7); });
  const std::string status = ReadFile("/proc/" + std::to_string(child.pid()) + "/status");
  EXPECT_THAT(status, HasSubstr("\nPPid:\t" + std::to_string(getpid()) + "\n"))
      << "CLONE_PARENT: the builder is ours, not the helper's";
  const pid_t pid = child.pid();
  hold_write.reset();
  const int wait_status = child.Wait();
  EXPECT_TRUE(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 7) << wait_status;
  EXPECT_NE(access(("/proc/" + std::to_string(pid)).c_str(), F_OK), 0) << "no zombie";
}

// Spec 5: the helper dies with its parent (death signal SIGKILL), here while it opens the
// pty slave.
TEST_P(LixHelperTest, HelperDiesWithItsParent) {
  int helper_pid[2];
  ASSERT_EQ(pipe2(helper_pid, O_CLOEXEC), 0);
  UniqueFd read_end(helper_pid[0]), write_end(helper_pid[1]);
  pid_t parent = fork();
  ASSERT_GE(parent, 0);
  if (parent == 0) {
    try {
      StartChild(
          Config(),
          [fd = helper_pid[1]] {  // in the helper: say who we are, then hang
            const pid_t self = getpid();
            (void)!write(fd, &self, sizeof self);
            pause();
          },
          [] { return 0; });
    } catch (...) {
    }
    _exit(0);
  }
  write_end.reset();
  pid_t helper = -1;
  ASSERT_EQ(read(read_end.get(), &helper, sizeof helper), static_cast<ssize_t>(sizeof helper));
  kill(parent, SIGKILL);
  waitpid(parent, nullptr, 0);
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {
    gone = kill(helper, 0) != 0 && errno == ESRCH;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(gone) << "the helper outlived its parent";
  if (!gone) kill(helper, SIGKILL);
}

// A stray process that holds a copy of the release pipe's write end (nix#13923: any
// forked-but-not-exec'd process) must not keep the builder from starting.
TEST_P(StartChildTest, StrayHolderOfTheReleasePipeDoesNotDelayTheChild) {
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);  // so that we can reap the stray
  int stray_pid[2];
  ASSERT_EQ(pipe2(stray_pid, O_CLOEXEC), 0);
  UniqueFd stray_read(stray_pid[0]), stray_write(stray_pid[1]);
  const auto start = std::chrono::steady_clock::now();
  {
    Child child = StartChild(
        Config(),
        [fd = stray_pid[1]] {  // runs in the helper (lix) or launcher (fast): holds every fd
          pid_t stray = fork();
          if (stray == 0) {
            sleep(30);
            _exit(0);
          }
          (void)!write(fd, &stray, sizeof stray);
        },
        [] { return 0; });
    EXPECT_EQ(child.Wait(), 0);
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(10)) << "the builder waited for the stray's EOF";
  pid_t stray = -1;
  ASSERT_EQ(read(stray_read.get(), &stray, sizeof stray), static_cast<ssize_t>(sizeof stray));
  kill(stray, SIGKILL);
  waitpid(stray, nullptr, 0);
  prctl(PR_SET_CHILD_SUBREAPER, 0);
}

// True when pid is pid 1 of a pid namespace nested in ours (NSpid: ... 1).
bool IsPidOneOfNestedNamespace(pid_t pid) {
  std::istringstream lines(ReadFile("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("NSpid:", 0) != 0) continue;
    std::istringstream ids(line.substr(6));
    std::vector<pid_t> nspid;
    for (pid_t id; ids >> id;) nspid.push_back(id);
    return nspid.size() >= 2 && nspid.back() == 1;
  }
  return false;
}

// The parent dies between clone and release: the builder must exit, not hang, and must
// never run user code. The parent is held in the cgroup step by making cgroup.procs a FIFO.
TEST_P(StartChildTest, ParentKilledMidStartTakesTheChildDown) {
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);  // the orphaned builder comes to us
  char dir[] = "/tmp/sbx-fifo-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string fifo = std::string(dir) + "/cgroup.procs";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  int marker[2];
  ASSERT_EQ(pipe2(marker, O_CLOEXEC), 0);
  UniqueFd marker_read(marker[0]), marker_write(marker[1]);

  pid_t parent = fork();
  ASSERT_GE(parent, 0);
  if (parent == 0) {
    StartConfig config = Config();
    config.cgroup = dir;
    config.force_clone_fallback = true;  // cgroup.procs, not CLONE_INTO_CGROUP
    try {
      StartChild(config, nullptr, [fd = marker[1]] { return write(fd, "ran", 3) == 3 ? 0 : 1; });
    } catch (...) {
    }
    _exit(0);
  }
  marker_write.reset();
  // Wait until the builder exists (the child that is pid 1 of a namespace of its own: in lix
  // mode the helper is a child too) and the parent blocks opening the FIFO.
  pid_t builder = -1;
  const std::string children =
      "/proc/" + std::to_string(parent) + "/task/" + std::to_string(parent) + "/children";
  for (int i = 0; i < 1000 && builder <= 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::istringstream pids(ReadFile(children));
    for (pid_t pid; pids >> pid;) {
      if (IsPidOneOfNestedNamespace(pid)) builder = pid;
    }
  }
  ASSERT_GT(builder, 0) << "no builder appeared";
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  kill(parent, SIGKILL);
  waitpid(parent, nullptr, 0);

  int status = 0;
  pid_t reaped = 0;
  for (int i = 0; i < 500 && reaped == 0; ++i) {
    reaped = waitpid(builder, &status, WNOHANG);
    if (reaped == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(reaped, builder) << "the builder outlived its parent by more than 5 s";
  if (reaped == 0) {
    kill(builder, SIGKILL);
    waitpid(builder, nullptr, 0);
  }
  EXPECT_EQ(ReadAvailable(marker_read.get()), "") << "user code ran without a release";
  unlink(fifo.c_str());
  rmdir(dir);
  prctl(PR_SET_CHILD_SUBREAPER, 0);
}

}  // namespace
}  // namespace sbx
