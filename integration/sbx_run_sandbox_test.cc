// The sandbox a command run by `sbx run` is in, in both modes: pid 1 on localhost, a
// private network with loopback up (or the host's, shared), a read-only etc, a build dir
// private to the sandbox user and beneath the root, and a given root used and kept. Cases
// of the sbx_run_test suite (sbx_run_fixture.h).
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "integration/sbx_run_fixture.h"
#include "testing/sbx_process.h"
#include "testing/scratch_dir.h"
#include "testing/util.h"

namespace sbx {
namespace {

using ::testing::HasSubstr;
using testing::Outcome;

// Spec 30: the build dir is the working directory, mode 0700, owned by the sandbox user,
// and writable by it; the root is not writable.
TEST_P(SbxRunTest, BuildDirIsPrivateToTheSandboxUser) {
  std::vector<std::vector<std::string>> option_sets = {{}};
  if (std::optional<BuildUser> user = testing::MappableBuildUser(1)) {
    if (getuid() == 0) user = BuildUser{.uid = 30001, .gid = 30000, .count = 1};
    option_sets.push_back(
        {"--build-uid", std::to_string(user->uid), "--build-gid", std::to_string(user->gid)});
  }
  for (const auto& options : option_sets) {
    Outcome o =
        Run("stat -c '%a %u %g' .; touch out && echo wrote; touch /x 2>/dev/null && "
            "echo rootwrite; true",
            options);
    EXPECT_EQ(o.exit_code, 0) << o.err;
    EXPECT_THAT(o.out, ::testing::StartsWith("700 1000 100\nwrote\n"))
        << ::testing::PrintToString(options);
    // The root belongs to the host's root (or the caller): a build user cannot write it.
    if (!options.empty()) EXPECT_THAT(o.out, ::testing::Not(HasSubstr("rootwrite")));
  }
}

// A fresh root is a tmpfs of its own, mounted nowhere on the host, where this process could
// make one (fsopen: root); else, and when forced, a directory under /dev/shm bound on /. In
// both, / is mode 0750: the build group may enter, nobody else.
TEST_P(SbxRunTest, AFreshRootIsAPrivateTmpfsWherePermitted) {
  const std::string root_of_slash =
      "sed -n 's|^[0-9]* [0-9]* [0-9:]* \\([^ ]*\\) / \\([^ ]*\\).* - \\([^ ]*\\) .*|"
      "\\1 \\2 \\3|p' /proc/self/mountinfo; stat -c %a /";
  Outcome o = Run(root_of_slash);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  if (testing::PrivateTmpfsUnavailableReason().empty()) {
    EXPECT_THAT(o.out, ::testing::MatchesRegex("/ rw,nosuid,nodev[^ ]* tmpfs\n750\n"));
  } else {
    EXPECT_THAT(o.out, ::testing::MatchesRegex("/\\S*sbx-root-\\w+ \\S+ \\S+\n75[05]\n"));
  }
  setenv("SBX_FORCE_FALLBACK", "root", 1);
  o = Run(root_of_slash);
  unsetenv("SBX_FORCE_FALLBACK");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, ::testing::MatchesRegex("/\\S*sbx-root-\\w+ \\S+ \\S+\n75[05]\n"));
}

// Where fsopen works but moving the tmpfs over / is refused (here by a seccomp filter on
// move_mount, which sbx and its builder inherit; elsewhere an LSM), sbx runs the command
// again with a directory root: it runs, once.
TEST_P(SbxRunTest, ARootTmpfsTheBuilderCannotAttachFallsBackToADirectory) {
  const std::string why = testing::PrivateTmpfsUnavailableReason();
  if (!why.empty()) GTEST_SKIP() << "sbx makes no tmpfs root here: " << why;
  auto refuse_move_mount = [] {
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    return ctx && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(move_mount), 0) == 0 &&
           seccomp_load(ctx) == 0;
  };
  Outcome o = testing::Sbx({"run", "--mode", GetParam(), "--", "/bin/sh", "-c",
                            "echo ran; sed -n 's|^[0-9]* [0-9]* [0-9:]* \\([^ ]*\\) / .*|\\1|p' "
                            "/proc/self/mountinfo"},
                           "", std::nullopt, refuse_move_mount);
  ASSERT_NE(o.exit_code, testing::kChildSetupFailed) << "could not install the seccomp filter";
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, ::testing::MatchesRegex("ran\n/\\S*sbx-root-\\w+\n"));
}

TEST_P(SbxRunTest, BuildDirIsPrivateToRootOfAUidRange) {
  std::vector<std::string> range = UidRangeOptions();
  if (range.empty()) GTEST_SKIP() << "needs root, or 65536 ids in /etc/subuid and /etc/subgid";
  Outcome o = Run("stat -c '%a %u %g' .; touch out && echo wrote", range);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, "700 0 0\nwrote\n");
}

TEST_P(SbxRunTest, IsPidOneOnLocalhost) {
  Outcome o = Run("echo $$; hostname; cat /proc/sys/kernel/domainname; pwd");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, "1\nlocalhost\n(none)\n/build\n");
}

// Interface names in /proc/net/dev (after the two header lines).
std::set<std::string> Interfaces(const std::string& proc_net_dev) {
  std::set<std::string> names;
  std::istringstream lines(proc_net_dev);
  std::string line;
  for (int i = 0; std::getline(lines, line); ++i) {
    if (i < 2 || line.find(':') == std::string::npos) continue;
    std::string name = line.substr(0, line.find(':'));
    name.erase(0, name.find_first_not_of(' '));
    names.insert(name);
  }
  return names;
}

TEST_P(SbxRunTest, PrivateNetworkHasOnlyLoopbackAndItIsUp) {
  Outcome o = Run("cat /proc/net/dev");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(Interfaces(o.out), std::set<std::string>{"lo"});
  // Without a tool (the sandbox has no /sys): the kernel adds 127.0.0.1's local route only
  // once lo is up, and lists it in /proc/net/fib_trie.
  o = Run("cat /proc/net/fib_trie");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, ::testing::ContainsRegex("127\\.0\\.0\\.1\n +/32 host LOCAL"))
      << "lo is down: " << o.out;
}

TEST_P(SbxRunTest, SharedNetworkSeesTheHostsInterfaces) {
  Outcome o = Run("cat /proc/net/dev", {"--share-network"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(Interfaces(o.out), Interfaces(testing::ReadFile("/proc/net/dev")));
}

TEST_P(SbxRunTest, EtcIsReadOnly) {
  Outcome o =
      Run("echo x >> /etc/passwd && echo wrote; touch /etc/new && echo created; "
          "cat /etc/passwd /etc/group");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, ::testing::Not(HasSubstr("wrote")));
  EXPECT_THAT(o.out, ::testing::Not(HasSubstr("created")));
  EXPECT_THAT(o.out, HasSubstr("nixbld:x:1000:100:Nix build user:/build:/noshell\n"));
  EXPECT_THAT(o.out, HasSubstr("nixbld:!:100:\n"));
}

// A static BusyBox to populate a root of our own: Debian's busybox-static on the host, the
// guest's own in the VM.
std::string StaticBusybox() {
  for (const char* path : {"/usr/bin/busybox", "/bin/busybox"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return "";
}

// A build dir is made beneath the root, never beside it.
TEST_P(SbxRunTest, BuildDirCannotLeaveTheRoot) {
  char root[] = "/tmp/sbx-given-root-XXXXXX";
  ASSERT_NE(mkdtemp(root), nullptr);
  const std::string outside = std::string(root) + "-outside";
  Outcome o = testing::Sbx({"run", "--mode", GetParam(), "--root", root, "--build-dir",
                            "/../" + outside.substr(outside.rfind('/') + 1), "--", "/bin/true"});
  EXPECT_EQ(o.exit_code, 125);
  EXPECT_THAT(o.err, HasSubstr("\"..\" component"));
  EXPECT_NE(access(outside.c_str(), F_OK), 0) << "made a directory outside the root";
  ASSERT_TRUE(testing::ScratchDir::RemoveAll(root));
  ASSERT_TRUE(testing::ScratchDir::RemoveAll(outside));
}

TEST_P(SbxRunTest, GivenRootIsUsedAndKept) {
  const std::string busybox = StaticBusybox();
  if (busybox.empty()) GTEST_SKIP() << "no static busybox to put in a root";
  char root[] = "/tmp/sbx-given-root-XXXXXX";
  ASSERT_NE(mkdtemp(root), nullptr);
  chmod(root, 0755);
  const std::string dir = root;
  ASSERT_EQ(mkdir((dir + "/bin").c_str(), 0755), 0);
  {
    std::ifstream in(busybox, std::ios::binary);
    std::ofstream out(dir + "/bin/busybox", std::ios::binary);
    out << in.rdbuf();
  }
  chmod((dir + "/bin/busybox").c_str(), 0755);

  Outcome o = testing::Sbx(
      {"run", "--mode", GetParam(), "--root", dir, "--", "/bin/busybox", "cat", "/etc/group"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, "root:x:0:\nnixbld:!:100:\nnogroup:x:65534:\n");
  EXPECT_EQ(testing::ReadFile(dir + "/etc/group"), o.out) << "the root is the user's: kept";

  // An etc that is a symlink is refused, and what it points to is left alone.
  ASSERT_TRUE(testing::ScratchDir::RemoveAll(dir + "/etc"));
  ASSERT_EQ(mkdir((dir + "/elsewhere").c_str(), 0755), 0);
  ASSERT_EQ(symlink("elsewhere", (dir + "/etc").c_str()), 0);
  o = testing::Sbx({"run", "--mode", GetParam(), "--root", dir, "--", "/bin/busybox", "true"});
  EXPECT_EQ(o.exit_code, 125);
  EXPECT_THAT(o.err, HasSubstr("not a symlink"));
  EXPECT_NE(access((dir + "/elsewhere/passwd").c_str(), F_OK), 0) << "wrote through a symlink";
  ASSERT_TRUE(testing::ScratchDir::RemoveAll(dir));
}

}  // namespace
}  // namespace sbx
