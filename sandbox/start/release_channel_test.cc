// The release channel (spec 13-16, nix#13923) on its own, without namespaces: the pipe's
// flags, what Release and Abort write, and what AwaitRelease makes of each line, EOF and a
// stray holder of the write end. AwaitRelease runs in a forked child with an alarm, so a
// reader that waits for an EOF that never comes fails the case instead of hanging it.
#include "sandbox/start/release_channel.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <utility>

#include "sandbox/base/sys_error.h"
#include "sandbox/base/syscalls.h"
#include "sandbox/base/unique_fd.h"

namespace sbx {
namespace {

constexpr int kAlarmSeconds = 10;

// A Release to a reader that has already exited must fail the case (EPIPE), not kill the
// test binary with SIGPIPE.
const bool kSigpipeIgnored = signal(SIGPIPE, SIG_IGN) != SIG_ERR;

// True when fd reads EOF within a second: every write end is closed and nothing is left.
bool ReadsEof(int fd) {
  pollfd p = {fd, POLLIN, 0};
  char c;
  return poll(&p, 1, 1000) == 1 && read(fd, &c, 1) == 0;
}

// What a forked child's AwaitRelease said: "go", "aborted", "no-go" (broken), or how the
// child ended otherwise.
struct Reader {
  pid_t pid = -1;

  Reader() = default;
  Reader(Reader&& other) noexcept : pid(std::exchange(other.pid, -1)) {}
  Reader& operator=(Reader&& other) noexcept {
    std::swap(pid, other.pid);
    return *this;
  }

  // Forks a child that calls AwaitRelease(read_fd, write_fd) on its own copies of the fds.
  // `on_start` runs in the child first (e.g. to install a signal handler).
  static Reader Start(int read_fd, int write_fd, void (*on_start)() = nullptr) {
    Reader reader;
    reader.pid = fork();
    if (reader.pid == 0) {
      alarm(kAlarmSeconds);  // a reader stuck waiting dies of SIGALRM
      if (on_start) on_start();
      switch (ReleaseChannel::AwaitRelease(read_fd, write_fd)) {
        case ReleaseChannel::Verdict::kGo:
          _exit(0);
        case ReleaseChannel::Verdict::kBroken:
          _exit(1);
        case ReleaseChannel::Verdict::kAborted:
          _exit(2);
      }
      _exit(3);
    }
    return reader;
  }

  std::string Verdict() {
    int status = 0;
    if (pid <= 0) return "fork failed";
    if (waitpid(pid, &status, 0) != pid) return std::string("waitpid: ") + strerror(errno);
    pid = -1;
    if (WIFEXITED(status)) {
      return WEXITSTATUS(status) == 0   ? "go"
             : WEXITSTATUS(status) == 1 ? "no-go"
             : WEXITSTATUS(status) == 2 ? "aborted"
                                        : "exit " + std::to_string(WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) return "still waiting after alarm";
    return "status " + std::to_string(status);
  }

  ~Reader() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
};

bool IsCloexec(int fd) {
  const int flags = fcntl(fd, F_GETFD);
  return flags >= 0 && (flags & FD_CLOEXEC) != 0;
}

// Spec 4: neither end may leak into anything the parent or the builder execs.
TEST(ReleaseChannel, BothEndsAreCloseOnExec) {
  ASSERT_TRUE(kSigpipeIgnored);
  ReleaseChannel channel = ReleaseChannel::Open();
  ASSERT_GE(channel.child_end(), 0);
  ASSERT_GE(channel.parent_end(), 0);
  EXPECT_TRUE(IsCloexec(channel.child_end()));
  EXPECT_TRUE(IsCloexec(channel.parent_end()));
  // And they are the two ends of one pipe.
  ASSERT_EQ(write(channel.parent_end(), "x", 1), 1);
  char c = 0;
  ASSERT_EQ(read(channel.child_end(), &c, 1), 1);
  EXPECT_EQ(c, 'x');
}

// Release writes exactly "1\n" and closes the write end.
TEST(ReleaseChannel, ReleaseWritesOneLineAndCloses) {
  ReleaseChannel channel = ReleaseChannel::Open();
  channel.Release();
  EXPECT_EQ(channel.parent_end(), -1);
  char buf[8];
  const ssize_t n = read(channel.child_end(), buf, sizeof buf);
  ASSERT_EQ(n, 2);
  EXPECT_EQ(std::string(buf, 2), "1\n");
  EXPECT_TRUE(ReadsEof(channel.child_end())) << "the write end is still open";
}

// Abort writes exactly "0\n" and closes; a second Abort (or one after Release) does nothing.
TEST(ReleaseChannel, AbortWritesZeroLineAndCloses) {
  ReleaseChannel channel = ReleaseChannel::Open();
  channel.Abort();
  EXPECT_EQ(channel.parent_end(), -1);
  channel.Abort();
  char buf[8];
  ASSERT_EQ(read(channel.child_end(), buf, sizeof buf), 2);
  EXPECT_EQ(std::string(buf, 2), "0\n");
  EXPECT_TRUE(ReadsEof(channel.child_end())) << "the write end is still open";
}

// The child's side as StartChild uses it: the child holds both ends (forked), the parent
// drops the read end and releases.
TEST(ReleaseChannel, ReleaseIsGo) {
  ReleaseChannel channel = ReleaseChannel::Open();
  Reader reader = Reader::Start(channel.child_end(), channel.parent_end());
  channel.CloseChildEnd();
  channel.Release();
  EXPECT_EQ(reader.Verdict(), "go");
}

// An abort is told apart from a broken channel: the child then leaves the explaining to the
// parent.
TEST(ReleaseChannel, AbortIsAbortedNotBroken) {
  ReleaseChannel channel = ReleaseChannel::Open();
  Reader reader = Reader::Start(channel.child_end(), channel.parent_end());
  channel.CloseChildEnd();
  channel.Abort();
  EXPECT_EQ(reader.Verdict(), "aborted");
}

// A parent that dies or gives up without a line: the child sees EOF, which is no-go. This
// needs the child to drop its own copy of the write end (else it would wait for ever).
TEST(ReleaseChannel, WriteEndClosedWithoutALineIsNoGo) {
  Reader reader;
  {
    ReleaseChannel channel = ReleaseChannel::Open();
    reader = Reader::Start(channel.child_end(), channel.parent_end());
  }  // both of the parent's ends closed, nothing written
  EXPECT_EQ(reader.Verdict(), "no-go");
}

// nix#13923: a stray process holding a copy of the write end (a concurrent fork of the
// parent) must not keep a released child waiting for an EOF.
TEST(ReleaseChannel, StrayHolderOfTheWriteEndDoesNotDelayGo) {
  ReleaseChannel channel = ReleaseChannel::Open();
  UniqueFd stray(dup(channel.parent_end()));  // never closed before the verdict
  ASSERT_TRUE(stray);
  Reader reader = Reader::Start(channel.child_end(), channel.parent_end());
  channel.CloseChildEnd();
  const auto start = std::chrono::steady_clock::now();
  channel.Release();
  EXPECT_EQ(reader.Verdict(), "go");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(kAlarmSeconds / 2));
}

// The same with an abort: the child learns of it at once, not at EOF.
TEST(ReleaseChannel, StrayHolderOfTheWriteEndDoesNotDelayAbort) {
  ReleaseChannel channel = ReleaseChannel::Open();
  UniqueFd stray(dup(channel.parent_end()));
  ASSERT_TRUE(stray);
  Reader reader = Reader::Start(channel.child_end(), channel.parent_end());
  channel.CloseChildEnd();
  channel.Abort();
  EXPECT_EQ(reader.Verdict(), "aborted");
}

// Exactly "1\n" is go, exactly "0\n" aborted; anything else, then EOF, is no-go. The line goes
// through a plain pipe whose write end the reader is handed (and closes) and the test closes too.
struct LineCase {
  std::string bytes;
  const char* verdict;
  std::string name;
};

class AwaitReleaseLine : public ::testing::TestWithParam<LineCase> {};

TEST_P(AwaitReleaseLine, Verdict) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  const std::string& bytes = GetParam().bytes;
  ASSERT_EQ(write(write_end.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  Reader reader = Reader::Start(read_end.get(), write_end.get());
  write_end.reset();
  EXPECT_EQ(reader.Verdict(), GetParam().verdict) << "line: '" << bytes << "'";
}

INSTANTIATE_TEST_SUITE_P(
    Lines, AwaitReleaseLine,
    ::testing::Values(LineCase{"1\n", "go", "Go"},
                      LineCase{"1\nmore", "go", "GoThenMore"},  // one line read, the rest left
                      LineCase{"", "no-go", "EofAtOnce"},
                      LineCase{"1", "no-go", "OneWithoutNewlineThenEof"},
                      LineCase{"0\n", "aborted", "Abort"}, LineCase{"2\n", "no-go", "Two"},
                      LineCase{"11\n", "no-go", "OneOne"}, LineCase{"1x\n", "no-go", "OneX"},
                      LineCase{" 1\n", "no-go", "SpaceOne"}, LineCase{"\n", "no-go", "EmptyLine"},
                      LineCase{"\n1\n", "no-go", "EmptyLineThenGo"},
                      LineCase{std::string("\0\n", 2), "no-go", "Nul"},
                      LineCase{"yes\n", "no-go", "Yes"}),
    [](const auto& info) { return info.param.name; });

void OnUsr1(int) {}
void InstallUsr1WithoutRestart() {
  struct sigaction action = {};
  action.sa_handler = OnUsr1;  // no SA_RESTART: a blocked read returns EINTR
  sigaction(SIGUSR1, &action, nullptr);
}

// The process state letter of /proc/PID/stat ('S' while blocked in read).
char ProcessState(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const size_t paren = line.rfind(')');
  return paren == std::string::npos || paren + 2 >= line.size() ? '?' : line[paren + 2];
}

// A signal that interrupts the child's read is not a verdict: it reads on.
TEST(ReleaseChannel, InterruptedReadKeepsWaiting) {
  ReleaseChannel channel = ReleaseChannel::Open();
  Reader reader =
      Reader::Start(channel.child_end(), channel.parent_end(), InstallUsr1WithoutRestart);
  channel.CloseChildEnd();
  // Wait until the child sleeps (in its read), then interrupt it.
  for (int i = 0; i < 500 && ProcessState(reader.pid) != 'S'; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(ProcessState(reader.pid), 'S') << "the reader never blocked";
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // well inside read by now
  ASSERT_EQ(kill(reader.pid, SIGUSR1), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  channel.Release();
  EXPECT_EQ(reader.Verdict(), "go");
}

// Failures are SysErrors with the step and errno; a failed Release still closes.
TEST(ReleaseChannel, FailuresAreSysErrors) {
  sys::FailNthCall(1, EMFILE, sys::FaultScope::kCallerOnly);
  try {
    ReleaseChannel::Open();
    ADD_FAILURE() << "Open did not fail";
  } catch (const SysError& e) {
    EXPECT_EQ(e.error(), EMFILE);
    EXPECT_NE(e.step().find("release pipe"), std::string::npos) << e.what();
  }
  sys::FailNthCall(0, 0);

  ReleaseChannel channel = ReleaseChannel::Open();
  sys::FailNthCall(1, EPIPE, sys::FaultScope::kCallerOnly);
  try {
    channel.Release();
    ADD_FAILURE() << "Release did not fail";
  } catch (const SysError& e) {
    EXPECT_EQ(e.error(), EPIPE);
    EXPECT_NE(e.step().find("releasing the child"), std::string::npos) << e.what();
  }
  sys::FailNthCall(0, 0);
  EXPECT_EQ(channel.parent_end(), -1) << "a failed Release must still close the write end";
  EXPECT_TRUE(ReadsEof(channel.child_end())) << "nothing written, then EOF";
}

}  // namespace
}  // namespace sbx
