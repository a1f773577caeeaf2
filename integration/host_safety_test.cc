// What `sbx run` promises the host (docs/spec.md, "What the sandbox guarantees"): nothing
// is written outside the sandbox root, host binds are read-only all the way down, the
// builder gets only fds 0-2, no new privileges and Nix's seccomp filter, and signals to sbx
// leave nothing behind. Each case would catch the breach it names. This file: a given root
// that would have sbx write on the host is refused. The suite's other cases are in
// host_safety_builder_test.cc and host_safety_signals_test.cc (one target,
// integration/BUILD.bazel), its fixture and fake host in host_safety.h; this file
// instantiates them all.
#include "integration/host_safety.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "testing/sbx_process.h"
#include "testing/scratch_dir.h"
#include "testing/util.h"

namespace sbx::host_safety {
namespace {

using ::testing::HasSubstr;
using testing::Outcome;

TEST_P(HostSafetyTest, RootThatIsTheHostsRootIsRefused) {
  ExpectRootRefused("/", "is the host's /: refused (nothing was written)");
  ExpectRootRefused("/", "is the host's /", {"--build-uid", "30001", "--build-gid", "30000"});
}

TEST_P(HostSafetyTest, SymlinkToTheHostsRootIsRefused) {
  if (getuid() != 0) GTEST_SKIP() << "needs root for a fake host in a private mount namespace";
  ExpectRootRefused("/tmp/link-to-root", "is the host's /: refused (nothing was written)");
}

// On the fake host: should the refusal regress, sbx writes the fake host's copies, never the
// machine's /etc.
TEST_P(HostSafetyTest, RootHoldingTheHostsEtcIsRefused) {
  if (getuid() != 0) GTEST_SKIP() << "needs root to bind the host's /etc into a root";
  const int binary = open(testing::SbxPath().c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(binary, 0);
  const std::string failure = InPrivateMountNamespace([&]() -> std::string {
    if (std::string error = IntoFakeHostUnlessInDisposableGuest(); !error.empty()) return error;
    char dir[] = "/tmp/sbx-root-with-etc-XXXXXX";
    if (!mkdtemp(dir)) return Errno("mkdtemp");
    const std::string etc = std::string(dir) + "/etc";
    const std::string passwd = testing::ReadFile("/etc/passwd");
    std::string result;
    if (mkdir(etc.c_str(), 0755) < 0 || mount("/etc", etc.c_str(), nullptr, MS_BIND, nullptr) < 0) {
      result = Errno("bind /etc");
    } else {
      Outcome o = testing::SbxFromFd(binary, RunArgs({"--root", dir}, {"/bin/true"}));
      if (o.exit_code != 125 || o.err.find("holds the host's /etc") == std::string::npos) {
        result = "not refused: exit " + std::to_string(o.exit_code) + ", " + o.err;
      }
      if (testing::ReadFile("/etc/passwd") != passwd) result += "; the host's passwd changed";
      umount2(etc.c_str(), MNT_DETACH);
    }
    rmdir(etc.c_str());
    rmdir(dir);
    return result;
  });
  close(binary);
  EXPECT_EQ(failure, "");
}

// A build dir in a given root that is a symlink to a host directory is refused, and that
// directory keeps its owner and mode.
TEST_P(HostSafetyTest, BuildDirSymlinkIsNotFollowed) {
  char root[] = "/tmp/sbx-given-root-XXXXXX";
  char outside[] = "/tmp/sbx-outside-XXXXXX";
  ASSERT_NE(mkdtemp(root), nullptr);
  ASSERT_NE(mkdtemp(outside), nullptr);
  struct stat before, after;
  ASSERT_EQ(stat(outside, &before), 0);
  ASSERT_EQ(symlink(outside, (std::string(root) + "/build").c_str()), 0);
  std::vector<std::string> options = {"--root", root};
  if (getuid() == 0)
    options.insert(options.end(), {"--build-uid", "30001", "--build-gid", "30000"});
  Outcome o = testing::Sbx(RunArgs(options, {"/bin/true"}));
  EXPECT_EQ(o.exit_code, 125);
  EXPECT_THAT(o.err, HasSubstr("not a symlink"));
  ASSERT_EQ(stat(outside, &after), 0);
  EXPECT_EQ(after.st_uid, before.st_uid);
  EXPECT_EQ(after.st_gid, before.st_gid);
  EXPECT_EQ(after.st_mode, before.st_mode);
  ASSERT_TRUE(testing::ScratchDir::RemoveAll(root));
  ASSERT_TRUE(testing::ScratchDir::RemoveAll(outside));
}

INSTANTIATE_TEST_SUITE_P(Modes, HostSafetyTest, ::testing::Values("lix", "fast"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sbx::host_safety
