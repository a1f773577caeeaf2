// What a builder observes after StartChild in each mode (spec sections 1-4, 7; the matrix of
// issue 4): its ids and maps, its namespaces, its signal handlers and mask, and many starts
// at once. The suite's other cases are split by concept over start_child_*_test.cc (one
// target, integration/BUILD.bazel); this file instantiates them all. Runs as root and
// rootless on the host and in the VM.
#include "sandbox/start/start_child.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/start_child_fixture.h"
#include "sandbox/base/sys_error.h"
#include "sandbox/base/unique_fd.h"
#include "testing/own_userns.h"
#include "testing/util.h"

namespace sbx {
namespace {

using testing::ExecWaitingOn;
using ::testing::HasSubstr;
using testing::NormalizeMap;
using testing::Observe;
using testing::ReadFile;

std::string NsInode(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? std::to_string(st.st_ino) : "missing " + path;
}

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

// Spec 10, nix#8342: under `unshare --map-root-user` getuid() is 0 but setgroups is denied,
// so the default (drop required when uid is 0) fails, and succeeds once not required.
TEST_P(StartChildTest, SetgroupsDeniedInRootMappedNamespace) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (!testing::UnshareOwnUserNamespace(0, 0, 0)) _exit(20);
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
      << "20 unshare or maps, 22 default, 23 default succeeded, 24 message, 25/26 optional";
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
