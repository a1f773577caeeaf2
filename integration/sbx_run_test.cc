// What a command run by `sbx run` observes (spec 29, the contract in `sbx run --help`), in
// both modes: its ids, and the id maps and setgroups behind them. The suite's other cases
// are split by concept over sbx_run_sandbox_test.cc and sbx_run_status_test.cc (one target,
// integration/BUILD.bazel), its fixture in sbx_run_fixture.h; this file instantiates them
// all. Runs as root and rootless on the host and in the VM.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "integration/sbx_run_fixture.h"
#include "testing/sbx_process.h"
#include "testing/util.h"

namespace sbx {
namespace {

using ::testing::HasSubstr;
using testing::Outcome;

// `id` as coreutils prints it (spec 25). BusyBox's id (the VM guest's) leaves out
// "groups=" when there is no supplementary group, so there /proc/self/status shows that.
void ExpectId(SbxRunTest* test, const std::vector<std::string>& options, const std::string& user,
              const std::string& gid) {
  Outcome o = test->Run(
      "id; id --help 2>&1 | grep -q BusyBox && echo busybox; "
      "grep ^Groups: /proc/self/status",
      options);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  const std::string ids = "uid=" + user + " gid=" + gid;
  const std::string first_line = o.out.substr(0, o.out.find('\n') + 1);
  if (o.out.find("busybox\n") != std::string::npos && first_line == ids + "\n") {
    // BusyBox: no "groups=" exactly when there is no supplementary group, checked below.
    EXPECT_THAT(o.out, ::testing::ContainsRegex("Groups:[ \t]*\n"));
  } else {
    EXPECT_EQ(first_line, ids + " groups=" + gid + "\n");
  }
  // Dropped by the helper as root; a rootless caller cannot drop any (setgroups needs
  // CAP_SETGID outside) unless it has none.
  if (getuid() == 0 || getgroups(0, nullptr) == 0) {
    EXPECT_THAT(o.out, ::testing::ContainsRegex("Groups:[ \t]*\n"))
        << "supplementary groups were not dropped";
  }
}

TEST_P(SbxRunTest, IdIsNixbldWithOneId) { ExpectId(this, {}, "1000(nixbld)", "100(nixbld)"); }

// Spec 22's first row: a build user with one id (root: any; rootless: the first id of the
// caller's /etc/subuid range) is nixbld inside, and the maps name it outside.
TEST_P(SbxRunTest, BuildUserWithOneId) {
  std::optional<BuildUser> user = testing::MappableBuildUser(1);
  if (!user) GTEST_SKIP() << "needs root, or a range in /etc/subuid and /etc/subgid";
  if (getuid() == 0) user = BuildUser{.uid = 30001, .gid = 30000, .count = 1};
  const std::vector<std::string> options = {"--build-uid", std::to_string(user->uid), "--build-gid",
                                            std::to_string(user->gid)};
  if (getuid() == 0 || getgroups(0, nullptr) == 0) {
    ExpectId(this, options, "1000(nixbld)", "100(nixbld)");
  } else {
    // A rootless caller cannot drop its supplementary groups; unmapped, they show as nogroup.
    Outcome id = Run("id", options);
    EXPECT_THAT(id.out, ::testing::StartsWith("uid=1000(nixbld) gid=100(nixbld)")) << id.err;
  }
  Outcome o = Run("cat /proc/self/uid_map /proc/self/setgroups /proc/self/gid_map", options);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(testing::NormalizeMap(o.out),
            "1000 " + std::to_string(user->uid) + " 1\n100 " + std::to_string(user->gid) + " 1");
  EXPECT_THAT(o.out, HasSubstr("deny\n"));
}

// Spec 21: an auto-allocated build user without uid-range.
// Spec 21: slot 1's ids (872415232 + 65536) as nixbld 1000/100, or all 65536 as root.
TEST_P(SbxRunTest, AutoAllocatedBuildUser) {
  if (getuid() != 0) GTEST_SKIP() << "mapping uid 872480768 needs root";
  ExpectId(this, {"--auto-build-user", "1"}, "1000(nixbld)", "100(nixbld)");
  Outcome o = Run("cat /proc/self/uid_map /proc/self/gid_map", {"--auto-build-user", "1"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(testing::NormalizeMap(o.out), "1000 872480768 1\n100 872480768 1");
  o = Run("cat /proc/self/uid_map", {"--auto-build-user", "1", "--uid-range"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(testing::NormalizeMap(o.out), "0 872480768 65536");
}

TEST_P(SbxRunTest, IdIsRootWithAUidRange) {
  std::vector<std::string> options = UidRangeOptions();
  if (options.empty()) GTEST_SKIP() << "needs root, or 65536 ids in /etc/subuid and /etc/subgid";
  ExpectId(this, options, "0(root)", "0(root)");
}

// Spec 19: without a user namespace the builder is the build user itself (root only).
TEST_P(SbxRunTest, WithoutUserNamespaceIsTheBuildUser) {
  if (getuid() != 0) GTEST_SKIP() << "running as another user without a user namespace needs root";
  const std::vector<std::string> options = {"--no-user-namespace", "--build-uid", "30001",
                                            "--build-gid", "30000"};
  ExpectId(this, options, "30001(nixbld)", "30000(nixbld)");
  Outcome o = Run("cat /proc/self/uid_map; echo $$", options);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(testing::NormalizeMap(o.out), "0 0 4294967295") << "the host's user namespace";
  EXPECT_THAT(o.out, ::testing::EndsWith("\n1\n"));
}

TEST_P(SbxRunTest, SeesTheSpecsMapsAndSetgroups) {
  Outcome o = Run("cat /proc/self/uid_map /proc/self/setgroups /proc/self/gid_map");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(testing::NormalizeMap(o.out),
            "1000 " + std::to_string(getuid()) + " 1\n100 " + std::to_string(getgid()) + " 1");
  EXPECT_THAT(o.out, HasSubstr("deny\n"));
}

TEST_P(SbxRunTest, SeesARangesMapsAndSetgroupsAllowed) {
  std::vector<std::string> options = UidRangeOptions();
  if (options.empty()) GTEST_SKIP() << "needs root, or 65536 ids in /etc/subuid and /etc/subgid";
  Outcome o = Run("cat /proc/self/uid_map /proc/self/setgroups", options);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("allow\n"));
  EXPECT_EQ(testing::NormalizeMap(o.out), "0 " + options[1] + " 65536");
}

INSTANTIATE_TEST_SUITE_P(Modes, SbxRunTest, ::testing::Values("lix", "fast"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sbx
