// A process of the start killed from outside (issue 25, part 5): the lix helper or the fast
// launcher SIGKILLed, as the OOM killer or an operator would, before it clones the builder,
// after the clone and before it hands over the pid, and after. The start must fail with an
// error that says so, never report success, never release the builder, and leave no
// builder running or unreaped, nor an fd open.
//
// Where to kill is made exact with ptrace: the start runs in a child of the test (the
// starter), which the test traces; the first process the start forks (lix) or vforks (fast)
// is the helper or launcher, whose syscalls the test follows until the chosen stop, where it
// SIGKILLs it. Every other process the start makes is let go untraced. Runs as root and
// rootless, on the host and in the VM (a process may trace its own descendants).
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sandbox/base/sys_error.h"
#include "sandbox/base/unique_fd.h"
#include "sandbox/start/start_child.h"
#include "testing/util.h"

namespace sbx {
namespace {

using ::testing::HasSubstr;
using testing::NoChildrenLeft;
using testing::OpenFds;
using testing::ReadAvailable;

// Where the helper or launcher is killed: at the entry or the exit of the first syscall
// it makes of `syscalls` (at an exit, the first that succeeded).
struct KillPoint {
  const char* name;
  std::set<long> syscalls;
  bool at_exit;
  bool builder_made;  // the builder exists when the kill comes
};

const std::set<long> kClones = {SYS_clone, SYS_clone3};
const std::set<long> kExits = {SYS_exit, SYS_exit_group};

// The lix helper: clone, then the pid line, then _exit.
const KillPoint kLixPoints[] = {
    {"BeforeTheClone", kClones, false, false},
    {"AfterTheClone", kClones, true, true},
    {"BeforeSendingThePid", {SYS_write}, false, true},
    {"AfterSendingThePid", kExits, false, true},
};
// The fast launcher: clone3 (or clone), then it stores the pid in our memory and exits.
const KillPoint kFastPoints[] = {
    {"BeforeTheClone", kClones, false, false},
    {"AfterTheClone", kClones, true, true},
    {"AfterHandingOverThePid", kExits, false, true},
};

// What the starter saw ("" for all when it did not finish).
struct StarterReport {
  std::string children;  // "none" or "left"
  std::string fds;       // "same" or "leaked"
  std::string result;    // "error: WHAT", "succeeded", or "other exception"
};

// What the tracer saw.
struct Traced {
  bool target_seen = false;  // the helper or launcher came to be traced
  bool killed = false;       // it reached the kill point and was killed there
  pid_t builder = -1;        // the pid a clone of the target returned
  int target_status = -1;    // its end, as the tracer saw it
  bool hung = false;         // the starter did not finish in time
  int starter_status = -1;
};

constexpr auto kDeadline = std::chrono::seconds(30);
constexpr int kTraceSysGood = SIGTRAP | 0x80;

long SyscallInfo(pid_t pid, __ptrace_syscall_info* info) {
  return ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof *info, info);
}

// Follows the starter and the processes its start makes until the starter exits, killing
// the first process made by `target_event` (PTRACE_EVENT_FORK: the lix helper;
// PTRACE_EVENT_VFORK: the fast launcher) at `point`.
Traced TraceStart(pid_t starter, int target_event, const KillPoint& point) {
  Traced traced;
  int status = 0;
  if (waitpid(starter, &status, 0) != starter || !WIFSTOPPED(status)) {
    ADD_FAILURE() << "the starter did not stop for the tracer: " << status;
    return traced;
  }
  if (ptrace(PTRACE_SETOPTIONS, starter, 0,
             PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL) <
      0) {
    ADD_FAILURE() << "PTRACE_SETOPTIONS: " << std::strerror(errno);
  }
  ptrace(PTRACE_CONT, starter, 0, 0);

  pid_t target = -1;
  std::set<pid_t> others;           // made by the start, but not the target: let go
  std::set<pid_t> stopped_unknown;  // stopped before their maker's event told us who they are
  long last_entry = -1;             // the target's syscall in progress
  bool target_started = false;
  // A new tracee's first stop: the target is followed syscall by syscall (and its own
  // children are not traced); any other is let go.
  auto start = [&](pid_t pid) {
    if (pid == target) {
      target_started = true;
      ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL);
      ptrace(PTRACE_SYSCALL, pid, 0, 0);
    } else {
      ptrace(PTRACE_DETACH, pid, 0, 0);
    }
  };
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  for (;;) {
    pid_t pid = waitpid(-1, &status, __WALL | WNOHANG);
    if (pid < 0) {
      ADD_FAILURE() << "waitpid: " << std::strerror(errno);
      break;
    }
    if (pid == 0) {
      if (!traced.hung && std::chrono::steady_clock::now() > deadline) {
        traced.hung = true;
        kill(starter, SIGKILL);
        if (traced.builder > 0) kill(traced.builder, SIGKILL);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    if (pid == starter) {
      if (WIFEXITED(status) || WIFSIGNALED(status)) {
        traced.starter_status = status;
        break;
      }
      const int event = status >> 16;
      int signal = 0;
      if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK ||
          event == PTRACE_EVENT_CLONE) {
        unsigned long made = 0;
        ptrace(PTRACE_GETEVENTMSG, starter, 0, &made);
        const pid_t child = static_cast<pid_t>(made);
        if (target < 0 && event == target_event) {
          target = child;
          traced.target_seen = true;
        } else {
          others.insert(child);
        }
        if (stopped_unknown.erase(child)) start(child);
      } else if (event == 0 && WIFSTOPPED(status)) {
        signal = WSTOPSIG(status);  // a signal for the starter: deliver it
      }
      ptrace(PTRACE_CONT, starter, 0, signal);
      continue;
    }
    if (pid == target) {
      if (WIFEXITED(status) || WIFSIGNALED(status)) {
        traced.target_status = status;
        continue;
      }
      if (!target_started) {
        start(pid);
        continue;
      }
      if (WSTOPSIG(status) != kTraceSysGood) {  // a signal for the target: deliver it
        ptrace(PTRACE_SYSCALL, pid, 0, WSTOPSIG(status));
        continue;
      }
      __ptrace_syscall_info info;
      if (SyscallInfo(pid, &info) < 0) {
        ADD_FAILURE() << "PTRACE_GET_SYSCALL_INFO: " << std::strerror(errno);
        kill(pid, SIGKILL);
        continue;
      }
      bool kill_now = false;
      if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
        last_entry = static_cast<long>(info.entry.nr);
        kill_now = !point.at_exit && point.syscalls.count(last_entry) && !traced.killed;
      } else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
        const bool made = kClones.count(last_entry) && !info.exit.is_error && info.exit.rval > 0;
        if (made) traced.builder = static_cast<pid_t>(info.exit.rval);
        kill_now = point.at_exit && point.syscalls.count(last_entry) && !info.exit.is_error &&
                   !traced.killed;
      }
      if (kill_now) {
        traced.killed = true;
        kill(pid, SIGKILL);  // ends the stop: no resume
      } else {
        ptrace(PTRACE_SYSCALL, pid, 0, 0);
      }
      continue;
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) continue;  // a let-go tracee's end
    if (others.count(pid)) {
      start(pid);
    } else {
      stopped_unknown.insert(pid);
    }
  }
  return traced;
}

StarterReport ParseReport(const std::string& text) {
  StarterReport report;
  std::istringstream lines(text);
  std::getline(lines, report.children);
  std::getline(lines, report.fds);
  std::getline(lines, report.result, '\0');
  return report;
}

// One start, and where its helper or launcher is killed.
struct KilledCase {
  StartMode mode;
  KillPoint point;
  bool clone_fallback;  // fast mode: clone() instead of clone3
};

void PrintTo(const KilledCase& c, std::ostream* out) {
  *out << (c.mode == StartMode::kLix ? "lix " : "fast ") << (c.clone_fallback ? "clone() " : "")
       << c.point.name;
}

class StartKilledTest : public ::testing::TestWithParam<KilledCase> {
 protected:
  void SetUp() override {
    const std::string why = testing::UserNamespaceUnavailableReason();
    if (!why.empty()) GTEST_SKIP() << why;
    // An orphan the start leaves comes to us: a builder that outlived the starter is seen.
    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    fds_before_ = OpenFds();
  }
  void TearDown() override {
    if (IsSkipped()) return;
    prctl(PR_SET_CHILD_SUBREAPER, 0);
    EXPECT_EQ(OpenFds(), fds_before_) << "fds leaked";
    EXPECT_TRUE(NoChildrenLeft()) << "a child was left behind";
  }

  // Starts a builder in a traced starter, kills the helper or launcher at `point`, and
  // checks what the start made of it.
  void KillAt(const KilledCase& c) {
    const KillPoint& point = c.point;
    StartConfig config{.mode = c.mode};
    config.force_clone_fallback = c.clone_fallback;
    // In fast mode a slave to open brings in the launcher (without one, and without
    // supplementary groups, the caller clones the builder itself: nothing to kill).
    OpenSlave open_slave = nullptr;
    if (c.mode == StartMode::kFast) open_slave = [] {};
    const int target_event = c.mode == StartMode::kLix ? PTRACE_EVENT_FORK : PTRACE_EVENT_VFORK;

    int report[2], marker[2];
    ASSERT_EQ(pipe2(report, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(marker, O_CLOEXEC), 0);
    UniqueFd report_read(report[0]), report_write(report[1]);
    UniqueFd marker_read(marker[0]), marker_write(marker[1]);
    const pid_t starter = fork();
    ASSERT_GE(starter, 0);
    if (starter == 0) {
      prctl(PR_SET_CHILD_SUBREAPER, 0);
      // The plan first: the user-namespace probe clones, and that is not the helper.
      const StartPlan plan = PlanStart(config);
      const std::set<int> fds = OpenFds();
      if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0) _exit(100);
      raise(SIGSTOP);
      std::string text;
      try {
        Child child = StartChild(plan, open_slave, [fd = marker[1]]() -> int {
          return write(fd, "ran", 3) == 3 ? 0 : 1;
        });
        child.Wait();
        text = "succeeded";
      } catch (const SysError& e) {
        text = std::string("error: ") + e.what();
      } catch (...) {
        text = "other exception";
      }
      // The result last: an error may span lines.
      text = std::string(NoChildrenLeft() ? "none\n" : "left\n") +
             (OpenFds() == fds ? "same\n" : "leaked\n") + text;
      (void)!write(report[1], text.data(), text.size());
      _exit(0);
    }
    report_write.reset();
    marker_write.reset();
    const Traced traced = TraceStart(starter, target_event, point);
    const StarterReport seen = ParseReport(ReadAvailable(report_read.get()));
    const std::string ran = ReadAvailable(marker_read.get());

    // The harness itself: the kill came where it was meant to.
    ASSERT_TRUE(traced.target_seen) << "no helper or launcher was made";
    EXPECT_TRUE(traced.killed) << "the kill point was never reached";
    EXPECT_TRUE(WIFSIGNALED(traced.target_status) && WTERMSIG(traced.target_status) == SIGKILL)
        << "the helper or launcher ended with wait status " << traced.target_status;
    EXPECT_EQ(traced.builder > 0, point.builder_made) << "builder " << traced.builder;

    // The start.
    EXPECT_FALSE(traced.hung) << "the start did not return within " << kDeadline.count()
                              << " s of the kill";
    EXPECT_TRUE(WIFEXITED(traced.starter_status) && WEXITSTATUS(traced.starter_status) == 0)
        << "the starter ended with wait status " << traced.starter_status;
    EXPECT_NE(seen.result, "succeeded") << "the start reported success";
    const std::string who = c.mode == StartMode::kLix ? "helper" : "launcher";
    EXPECT_THAT(seen.result, HasSubstr(who + " was killed by signal " + std::to_string(SIGKILL)))
        << "the error does not say what happened";
    EXPECT_EQ(ran, "") << "the builder was released and ran user code";
    EXPECT_EQ(seen.children, "none") << "the start left a child of the caller (the builder)";
    EXPECT_EQ(seen.fds, "same") << "the start leaked an fd";
    if (traced.builder > 0) {
      // Anything the starter left came to us when it exited.
      const bool gone = kill(traced.builder, 0) < 0 && errno == ESRCH;
      EXPECT_TRUE(gone) << "the builder " << traced.builder << " outlived the start";
      if (!gone) {
        kill(traced.builder, SIGKILL);
        waitpid(traced.builder, nullptr, 0);
      }
    }
  }

 private:
  std::set<int> fds_before_;
};

TEST_P(StartKilledTest, FailsSayingSoAndLeavesNothing) { KillAt(GetParam()); }

std::vector<KilledCase> AllCases() {
  std::vector<KilledCase> cases;
  for (const KillPoint& point : kLixPoints) cases.push_back({StartMode::kLix, point, false});
  // The fast launcher, on clone3 and on its clone() fallback (a kernel without clone3).
  for (bool fallback : {false, true}) {
    for (const KillPoint& point : kFastPoints) cases.push_back({StartMode::kFast, point, fallback});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Points, StartKilledTest, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<KilledCase>& info) {
                           const KilledCase& c = info.param;
                           return std::string(c.mode == StartMode::kLix ? "lix_" : "fast_") +
                                  (c.clone_fallback ? "clone_fallback_" : "") + c.point.name;
                         });

}  // namespace
}  // namespace sbx
