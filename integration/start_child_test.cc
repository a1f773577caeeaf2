// What a builder observes, and what the parent is left with, after StartChild in each mode
// (spec sections 1-4, 7; the matrix of issue 4). Runs as root and rootless on the host and
// in the VM (integration/BUILD.bazel).
#include "sandbox/start/start_child.h"

#include <dirent.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "sandbox/base/sys_error.h"
#include "sandbox/base/syscalls.h"
#include "sandbox/base/unique_fd.h"
#include "sandbox/start/cgroup.h"
#include "testing/util.h"

namespace sbx {
namespace {

using testing::ExecWaitingOn;
using ::testing::HasSubstr;
using testing::NoChildrenLeft;
using testing::NormalizeMap;
using testing::Observe;
using testing::OpenFds;
using testing::ReadAvailable;
using testing::ReadFile;

std::string NsInode(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? std::to_string(st.st_ino) : "missing " + path;
}

class StartChildTest : public ::testing::TestWithParam<StartMode> {
 protected:
  void SetUp() override {
    const std::string why = testing::UserNamespaceUnavailableReason();
    if (!why.empty()) GTEST_SKIP() << why;
    fds_before_ = OpenFds();
  }
  void TearDown() override {
    if (IsSkipped()) return;
    EXPECT_EQ(OpenFds(), fds_before_) << "fds leaked";
    EXPECT_TRUE(NoChildrenLeft()) << "a child was left behind";
  }
  StartConfig Config() const { return StartConfig{.mode = GetParam()}; }

 private:
  std::set<int> fds_before_;
};

std::string MapsSeenFromInside() {
  return NormalizeMap(ReadFile("/proc/self/uid_map")) + "|" + ReadFile("/proc/self/setgroups") +
         "|" + NormalizeMap(ReadFile("/proc/self/gid_map")) + "|" + std::to_string(getuid()) + ":" +
         std::to_string(getgid());
}

TEST_P(StartChildTest, SingleIdCallerIsNixbld1000) {
  // Spec 22, "unprivileged caller U/G" (and root without a build user).
  const std::string expected = "1000 " + std::to_string(getuid()) + " 1|deny\n|100 " +
                               std::to_string(getgid()) + " 1|1000:100";
  EXPECT_EQ(Observe(Config(), MapsSeenFromInside), expected);
}

// Spec 6 and 10: supplementary groups are dropped before the clone, so the builder never
// has them (after the clone it would keep them: unmapped, as the overflow group).
TEST_P(StartChildTest, SupplementaryGroupsAreDroppedBeforeTheClone) {
  if (getuid() != 0) GTEST_SKIP() << "giving this process supplementary groups needs root";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const gid_t groups[] = {4242, 4343};
    if (setgroups(2, groups) < 0) _exit(10);
    try {
      const std::string seen = Observe(Config(), [] { return ReadFile("/proc/self/status"); });
      const size_t at = seen.find("\nGroups:");
      const std::string line = seen.substr(at + 8, seen.find('\n', at + 1) - at - 8);
      _exit(at != std::string::npos && line.find_first_not_of(" \t") == std::string::npos ? 0 : 11);
    } catch (...) {
      _exit(12);
    }
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10 setgroups, 11 the builder has groups, 12 start";
}

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

// Root maps any build user; a rootless caller the first id of its /etc/subuid range.
TEST_P(StartChildTest, BuildUserWithOneId) {
  std::optional<BuildUser> user = testing::MappableBuildUser(1);
  if (!user) GTEST_SKIP() << "needs root, or a range in /etc/subuid and /etc/subgid";
  if (getuid() == 0) user = BuildUser{.uid = 30001, .gid = 30000, .count = 1};
  StartConfig config = Config();
  config.build_user = *user;
  // Our own ids are not mapped: the overflow id until run_child switches ids.
  EXPECT_EQ(Observe(config, MapsSeenFromInside), "1000 " + std::to_string(user->uid) +
                                                     " 1|deny\n|100 " + std::to_string(user->gid) +
                                                     " 1|65534:65534");
}

TEST_P(StartChildTest, UidRangeMapsZeroAndLeavesSetgroupsAllowed) {
  std::optional<BuildUser> user = testing::MappableBuildUser(65536);
  if (!user) GTEST_SKIP() << "needs root, or a 65536-id range in /etc/subuid and /etc/subgid";
  StartConfig config = Config();
  config.build_user = *user;
  // Our own (host) ids are not in the range, so inside they show as the overflow id.
  const std::string expected = "0 " + std::to_string(user->uid) + " 65536|allow\n|0 " +
                               std::to_string(user->gid) + " 65536|65534:65534";
  EXPECT_EQ(Observe(config, MapsSeenFromInside), expected);
}

TEST_P(StartChildTest, IsPidOneInNamespacesOfItsOwn) {
  auto namespaces = [] {
    std::string seen = std::to_string(getpid());
    for (const char* ns : {"user", "pid", "mnt", "ipc", "uts", "net"}) {
      seen += std::string(" ") + ns + "=" + NsInode(std::string("/proc/self/ns/") + ns);
    }
    return seen;
  };
  std::string ours = "1";
  for (const char* ns : {"user", "pid", "mnt", "ipc", "uts", "net"}) {
    ours += std::string(" ") + ns + "=" + NsInode(std::string("/proc/self/ns/") + ns);
  }
  const std::string private_net = Observe(Config(), namespaces);
  std::istringstream theirs(private_net), mine(ours);
  std::string a, b;
  theirs >> a;
  mine >> b;
  EXPECT_EQ(a, "1") << "the builder is pid 1 of its pid namespace";
  while (theirs >> a && mine >> b) EXPECT_NE(a, b) << "namespace shared with the parent";

  StartConfig shared = Config();
  shared.private_network = false;
  EXPECT_THAT(Observe(shared, namespaces), HasSubstr(" net=" + NsInode("/proc/self/ns/net")))
      << "with a shared network the builder stays in the parent's network namespace";
}

TEST_P(StartChildTest, SavedNamespaceFdsNameTheChildsNamespaces) {
  int hold[2];
  ASSERT_EQ(pipe2(hold, O_CLOEXEC), 0);
  UniqueFd hold_read(hold[0]), hold_write(hold[1]);
  Child child = StartChild(Config(), nullptr, [fd = hold[0]] { return ExecWaitingOn(fd, 0); });
  const std::string proc = "/proc/" + std::to_string(child.pid()) + "/ns/";
  for (auto [fd, ns] : {std::pair{child.mnt_ns_fd(), "mnt"}, {child.user_ns_fd(), "user"}}) {
    struct stat st;
    ASSERT_EQ(fstat(fd, &st), 0) << ns;
    EXPECT_EQ(std::to_string(st.st_ino), NsInode(proc + ns)) << ns;
    EXPECT_NE(std::to_string(st.st_ino), NsInode(std::string("/proc/self/ns/") + ns)) << ns;
    // From the pidfd (6.11+) or from /proc: either way not inherited by what we exec.
    EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC) << ns;
  }
  EXPECT_GE(child.pidfd(), 0) << "a pidfd on a kernel that has them";
  hold_write.reset();
  EXPECT_EQ(child.Wait(), 0);
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

// Files a failed start may leave in a root's etc: never a temporary one.
std::vector<std::string> TemporaryFilesIn(const std::string& dir) {
  std::vector<std::string> names;
  if (dir.empty()) return names;
  if (DIR* d = opendir(dir.c_str())) {
    while (const dirent* entry = readdir(d)) {
      if (std::strstr(entry->d_name, ".sbx-")) names.push_back(entry->d_name);
    }
    closedir(d);
  }
  return names;
}

// Fails each seam call of one start in turn, counting the calls of the processes `scope`
// names (`open_slave` given or not: in fast mode a slave to open brings in the launcher
// process). After each failure: the error names the step, user code never ran, and no
// process, temporary file or cgroup member is left.
void FailEachCallInTurn(const StartConfig& config, const OpenSlave& open_slave,
                        sys::FaultScope scope, size_t min_steps) {
  constexpr int kInjected = ENOTRECOVERABLE;
  int iterations = 0;
  std::set<std::string> steps;  // every step that failed, by its name
  const std::string etc = config.sandbox_root.empty() ? "" : config.sandbox_root + "/etc";
  for (int nth = 1; nth < 200; ++nth, ++iterations) {
    int marker[2];
    ASSERT_EQ(pipe2(marker, O_CLOEXEC), 0);
    UniqueFd marker_read(marker[0]), marker_write(marker[1]);
    // Without a root there is no etc to clear (and "" + "/passwd" is the machine's).
    if (!etc.empty()) {
      for (const char* name : {"/passwd", "/group"}) unlink((etc + name).c_str());
    }
    sys::FailNthCall(nth, kInjected, scope);
    bool failed = false;
    try {
      Child child = StartChild(config, open_slave, [fd = marker[1]]() -> int {
        return write(fd, "ran", 3) == 3 ? 0 : 1;
      });
      const bool fault_fired = sys::CallCount() >= nth;
      sys::FailNthCall(0, 0);
      EXPECT_EQ(child.Wait(), 0) << "call " << nth;
      if (!fault_fired) break;  // every call of a start has been failed once
    } catch (const SysError& e) {
      failed = true;
      sys::FailNthCall(0, 0);
      EXPECT_THAT(e.what(), HasSubstr(std::strerror(kInjected))) << "call " << nth;
      EXPECT_FALSE(e.step().empty()) << "call " << nth;
      steps.insert(e.step());
      // Both files are staged before either is renamed: a failed group leaves no passwd.
      if (e.step().find(".group.sbx-") != std::string::npos) {
        EXPECT_NE(access((etc + "/passwd").c_str(), F_OK), 0) << "passwd without its group";
      }
    }
    marker_write.reset();
    if (failed) {
      EXPECT_EQ(ReadAvailable(marker_read.get()), "")
          << "user code ran although call " << nth << " failed";
    }
    ASSERT_TRUE(NoChildrenLeft()) << "a process was left behind when call " << nth << " failed";
    EXPECT_THAT(TemporaryFilesIn(etc), ::testing::IsEmpty()) << "call " << nth;
    if (config.cgroup) {
      EXPECT_EQ(ReadFile(*config.cgroup + "/cgroup.procs"), "") << "call " << nth;
    }
  }
  for (const std::string& step : steps) std::cout << "failed step: " << step << "\n";
  EXPECT_GE(steps.size(), min_steps);
  EXPECT_LT(iterations, 199) << "the fault never stopped firing";
}

constexpr sys::FaultScope kScopes[] = {sys::FaultScope::kEveryProcess, sys::FaultScope::kCallerOnly,
                                       sys::FaultScope::kHelpersOnly};

// The steps a scope must see fail at least: the caller's clone (or helper), maps,
// namespace fds and release; a helper's setgroups, clone and (lix) pid line.
size_t MinSteps(sys::FaultScope scope, StartMode mode) {
  if (scope != sys::FaultScope::kHelpersOnly) return 6;
  return mode == StartMode::kLix ? 3 : 0;
}

TEST_P(StartChildTest, EachFailingCallIsReportedAndLeavesNothingBehind) {
  for (sys::FaultScope scope : kScopes) {
    SCOPED_TRACE(static_cast<int>(scope));
    FailEachCallInTurn(Config(), nullptr, scope, MinSteps(scope, GetParam()));
  }
}

TEST_P(StartChildTest, EachFailingCallWithASlaveToOpen) {
  for (sys::FaultScope scope : kScopes) {
    SCOPED_TRACE(static_cast<int>(scope));
    // With a slave to open, fast mode has a launcher too: setgroups and clone fail there.
    FailEachCallInTurn(
        Config(), [] {}, scope, scope == sys::FaultScope::kHelpersOnly ? 2 : 6);
  }
}

// The same with every writer in play: etc files in a root, a cgroup, and in fast mode
// both clone3 with CLONE_INTO_CGROUP and the clone() + cgroup.procs fallback.
TEST_P(StartChildTest, EachFailingCallWithARootAndACgroup) {
  const std::string base = testing::CgroupBase();
  if (base.empty()) {
    GTEST_SKIP() << "no cgroup v2 hierarchy this user may write (needs root, or a delegated "
                    "cgroup as in the VM)";
  }
  char root[] = "/tmp/sbx-fault-root-XXXXXX";
  ASSERT_NE(mkdtemp(root), nullptr);
  ASSERT_EQ(mkdir((std::string(root) + "/etc").c_str(), 0755), 0);
  const std::string cgroup = base + "/sbx-fault-test-" + std::to_string(getpid());
  ASSERT_EQ(mkdir(cgroup.c_str(), 0755), 0) << cgroup << ": " << strerror(errno);
  for (bool fallback : {false, true}) {
    for (sys::FaultScope scope : kScopes) {
      SCOPED_TRACE(std::string(fallback ? "fallback " : "") +
                   std::to_string(static_cast<int>(scope)));
      StartConfig config = Config();
      config.sandbox_root = root;
      config.cgroup = cgroup;
      config.force_clone_fallback = fallback;
      // Add the etc files (create, write, rename: two each) and the cgroup placement.
      FailEachCallInTurn(config, nullptr, scope,
                         scope == sys::FaultScope::kHelpersOnly ? MinSteps(scope, GetParam()) : 9);
    }
  }
  EXPECT_EQ(rmdir(cgroup.c_str()), 0) << cgroup << ": " << strerror(errno);
  ASSERT_EQ(system(("rm -rf " + std::string(root)).c_str()), 0);
}

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

// Only the lix mode has a helper that sends a pid line.
class LixHelperTest : public StartChildTest {};

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

// Spec 10, nix#8342: under `unshare --map-root-user` getuid() is 0 but setgroups is denied,
// so the default (drop required when uid is 0) fails, and succeeds once not required.
TEST_P(StartChildTest, SetgroupsDeniedInRootMappedNamespace) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string uid = std::to_string(geteuid()), gid = std::to_string(getegid());
    if (unshare(CLONE_NEWUSER) < 0) _exit(20);
    auto write_file = [](const char* path, const std::string& text) {
      int fd = open(path, O_WRONLY | O_CLOEXEC);
      bool ok = fd >= 0 && write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
      close(fd);
      return ok;
    };
    if (!write_file("/proc/self/uid_map", "0 " + uid + " 1") ||
        !write_file("/proc/self/setgroups", "deny") ||
        !write_file("/proc/self/gid_map", "0 " + gid + " 1")) {
      _exit(21);
    }
    StartConfig config = Config();  // require_drop_supplementary_groups unset: root's default
    if (config.require_drop_supplementary_groups ||
        !PlanStart(config).require_drop_supplementary_groups) {
      _exit(22);
    }
    try {
      StartChild(config, nullptr, [] { return 0; });
      _exit(23);  // should have failed
    } catch (const SysError& e) {
      if (!std::strstr(e.what(), "require-drop-supplementary-groups option to false")) _exit(24);
    }
    config.require_drop_supplementary_groups = false;
    try {
      _exit(StartChild(config, nullptr, [] { return 0; }).Wait() == 0 ? 0 : 25);
    } catch (const SysError& e) {
      _exit(26);
    }
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "20 unshare, 21 maps, 22 default, 23 default succeeded, 24 message, 25/26 optional";
}

TEST_P(StartChildTest, ManyThreadsStartAtOnce) {
  constexpr int kThreads = 4, kStartsEach = 10;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kStartsEach; ++i) {
        try {
          if (StartChild(Config(), nullptr, [] { return 0; }).Wait() == 0) ++ok;
        } catch (const SysError& e) {
          ADD_FAILURE() << e.what();
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok, kThreads * kStartsEach);
}

// Rejected input produces neither a process nor a file (spec 26).
TEST_P(StartChildTest, InvalidBuildDirStartsNothing) {
  char root[] = "/tmp/sbx-root-XXXXXX";
  ASSERT_NE(mkdtemp(root), nullptr);
  const std::string etc = std::string(root) + "/etc";
  ASSERT_EQ(mkdir(etc.c_str(), 0755), 0);
  StartConfig config = Config();
  config.sandbox_root = root;
  config.build_dir = "/build:evil";
  EXPECT_THROW(StartChild(config, nullptr, [] { return 0; }), SysError);
  EXPECT_NE(access((etc + "/passwd").c_str(), F_OK), 0) << "a rejected input wrote passwd";
  rmdir(etc.c_str());
  rmdir(root);
}

// The generated files replace, and never follow, a symlink planted in the root (guide:
// never follow a symlink you did not create).
TEST_P(StartChildTest, PlantedSymlinkIsReplacedNotFollowed) {
  char root[] = "/tmp/sbx-root-XXXXXX";
  ASSERT_NE(mkdtemp(root), nullptr);
  const std::string etc = std::string(root) + "/etc", victim = std::string(root) + "/victim";
  ASSERT_EQ(mkdir(etc.c_str(), 0755), 0);
  { std::ofstream(victim) << "untouched"; }
  ASSERT_EQ(symlink(victim.c_str(), (etc + "/passwd").c_str()), 0);
  StartConfig config = Config();
  config.sandbox_root = root;
  EXPECT_EQ(StartChild(config, nullptr, [] { return 0; }).Wait(), 0);
  EXPECT_EQ(ReadFile(victim), "untouched");
  EXPECT_THAT(ReadFile(etc + "/passwd"), HasSubstr("nixbld:x:1000:100:"));
  struct stat st;
  ASSERT_EQ(lstat((etc + "/passwd").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  for (const char* name : {"/passwd", "/group"}) unlink((etc + name).c_str());
  rmdir(etc.c_str());
  unlink(victim.c_str());
  rmdir(root);
}

void NoteSignal(int) {}

// The builder runs none of the parent's handlers (in fast mode they would run on the
// parent's memory) and gets the caller's signal mask back after release.
TEST_P(StartChildTest, BuilderHasDefaultHandlersAndTheCallersMask) {
  struct sigaction note = {};
  note.sa_handler = NoteSignal;
  struct sigaction old_action;
  ASSERT_EQ(sigaction(SIGUSR1, &note, &old_action), 0);
  sigset_t usr2, old_mask;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &usr2, &old_mask), 0);

  const std::string seen = Observe(Config(), [] {
    struct sigaction action;
    sigaction(SIGUSR1, nullptr, &action);
    sigset_t mask;
    sigprocmask(SIG_SETMASK, nullptr, &mask);
    return std::string(action.sa_handler == SIG_DFL ? "default" : "parent's handler") +
           (sigismember(&mask, SIGUSR2) ? " usr2-blocked" : " usr2-open") +
           (sigismember(&mask, SIGTERM) ? " term-blocked" : " term-open");
  });
  sigaction(SIGUSR1, &old_action, nullptr);
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  if (GetParam() == StartMode::kFast) {
    EXPECT_EQ(seen, "default usr2-blocked term-open");
  } else {  // a forked copy: the handler is its own until exec, as in the seed
    EXPECT_THAT(seen, ::testing::EndsWith(" usr2-blocked term-open"));
  }
}

INSTANTIATE_TEST_SUITE_P(Lix, LixHelperTest, ::testing::Values(StartMode::kLix),
                         [](const auto&) { return "lix"; });

INSTANTIATE_TEST_SUITE_P(Modes, StartChildTest,
                         ::testing::Values(StartMode::kLix, StartMode::kFast),
                         [](const auto& info) {
                           return info.param == StartMode::kLix ? "lix" : "fast";
                         });

}  // namespace
}  // namespace sbx
