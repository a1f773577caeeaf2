// What runs before the builder's release, in the lix helper or the fast launcher: the
// open_slave callback's error comes back with its message, the lix helper's pid line is
// checked, and the pty slave is opened before the user namespace. Cases of the
// start_child_test suite (start_child_fixture.h).
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

#include "integration/start_child_fixture.h"
#include "sandbox/base/sys_error.h"
#include "sandbox/start/start_child.h"
#include "testing/util.h"

namespace sbx {
namespace {

using ::testing::HasSubstr;
using testing::OpenFds;

TEST_P(StartChildTest, HelperFailureCarriesItsOwnMessage) {
  try {
    StartChild(
        Config(), [] { throw std::runtime_error("no pty slave here"); }, [] { return 0; });
    FAIL() << "StartChild succeeded although opening the slave failed";
  } catch (const SysError& e) {
    EXPECT_THAT(e.what(), HasSubstr("no pty slave here"));
    if (GetParam() == StartMode::kLix) {
      EXPECT_THAT(e.what(),
                  HasSubstr("unable to start build process: helper exited with status 1"));
    }
  }
}

// In the helper: writes `text` to its sendPid pipe (the write-only pipe opened last, after
// the release pipe), then ends the helper as if it had succeeded.
[[noreturn]] void HelperSends(const char* text) {
  int send_pid = -1;
  for (int fd : OpenFds()) {
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
        (fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY) {
      send_pid = fd;
    }
  }
  if (send_pid >= 0) (void)!write(send_pid, text, std::strlen(text));
  _exit(0);
}

TEST_P(LixHelperTest, JunkOrNothingOnThePidLineIsAnError) {
  const std::pair<const char*, const char*> cases[] = {{"12 junk\n", "one decimal number"},
                                                       {"", "no pid"},
                                                       {"0\n", "zero"},
                                                       {"1\n", "not our child"}};
  for (const auto& [text, reason] : cases) {
    try {
      const char* sent = text;
      StartChild(
          Config(), [sent] { HelperSends(sent); }, [] { return 0; });
      ADD_FAILURE() << "accepted pid line '" << text << "'";
    } catch (const SysError& e) {
      EXPECT_THAT(e.what(), HasSubstr("unable to start build process")) << text;
      EXPECT_THAT(e.what(), HasSubstr(reason)) << text;
    }
  }
}

// nix#8072: the pty slave is opened before CLONE_NEWUSER. Nix gives the slave to the build
// user, mode 0600; inside a fresh user namespace that owner is unmapped, so root's
// capabilities do not apply to it and the open fails (shown first, so that the case can
// fail: a start that opened the slave after the clone would fail the same way).
TEST_P(StartChildTest, PtySlaveOpensBeforeTheUserNamespace) {
  if (getuid() != 0) GTEST_SKIP() << "needs root to give the pty slave to another uid";
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(master, 0) << "posix_openpt: " << strerror(errno);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  const std::string slave = ptsname(master);
  ASSERT_EQ(chown(slave.c_str(), 30001, 0), 0) << strerror(errno);
  ASSERT_EQ(chmod(slave.c_str(), 0600), 0) << strerror(errno);
  const pid_t probe = fork();
  if (probe == 0) {
    if (unshare(CLONE_NEWUSER) != 0) _exit(2);
    _exit(open(slave.c_str(), O_RDWR | O_NOCTTY) < 0 && errno == EACCES ? 0 : 1);
  }
  int probe_status = 0;
  ASSERT_EQ(waitpid(probe, &probe_status, 0), probe);
  ASSERT_TRUE(WIFEXITED(probe_status) && WEXITSTATUS(probe_status) == 0)
      << "the slave opened from a new user namespace: this case could not fail";
  Child child = StartChild(
      Config(),
      [&] {
        int fd = open(slave.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd < 0) throw std::runtime_error("opening " + slave + ": " + strerror(errno));
        close(fd);
      },
      [] { return 0; });
  EXPECT_EQ(child.Wait(), 0);
  close(master);
}

}  // namespace
}  // namespace sbx
