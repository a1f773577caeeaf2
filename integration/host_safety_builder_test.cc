// What the builder of `sbx run` gets, so that it cannot reach the host: read-only,
// nosuid, nodev host binds all the way down, only fds 0-2, no new privileges, Nix's seccomp
// filter, and never root or the caller without a user namespace. Cases of the
// host_safety_test suite (host_safety.h).
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "integration/host_safety.h"
#include "testing/sbx_process.h"
#include "testing/scratch_dir.h"
#include "testing/util.h"

namespace sbx::host_safety {
namespace {

using ::testing::HasSubstr;
using testing::Outcome;

// A mount below a read-only bind (a tmpfs on /usr/local) is read-only, nosuid and nodev too.
TEST_P(HostSafetyTest, SubmountBelowAReadOnlyBindIsReadOnly) {
  if (getuid() != 0) GTEST_SKIP() << "needs root to mount below /usr";
  const std::string failure = InPrivateMountNamespace([&]() -> std::string {
    // The VM guest is ours to change; the host has /usr/local.
    if (std::getenv("SBX_IN_VM")) mkdir("/usr/local", 0755);
    if (mount("tmpfs", "/usr/local", "tmpfs", 0, "mode=0777") < 0) return Errno("tmpfs");
    Outcome o = testing::Sbx(
        RunArgs({"--build-uid", "872415232", "--build-gid", "872415232", "--uid-count", "65536"},
                {"/bin/sh", "-c", "touch /usr/local/x; grep ' /usr/local ' /proc/self/mountinfo"}));
    std::string result;
    if (access("/usr/local/x", F_OK) == 0) result += "the builder wrote below /usr; ";
    if (o.err.find("Read-only file system") == std::string::npos) result += "stderr: " + o.err;
    if (o.out.find(" ro,nosuid,nodev") == std::string::npos) result += "mount: " + o.out;
    return result;
  });
  EXPECT_EQ(failure, "");
}

TEST_P(HostSafetyTest, HostBindsAreReadOnlyNosuidNodev) {
  Outcome o =
      testing::Sbx(RunArgs({}, {"/bin/sh", "-c", "grep -E ' /(usr|etc) ' /proc/self/mountinfo"}));
  EXPECT_EQ(o.exit_code, 0) << o.err;
  // The mount point and its flags; the root within the file system is "/usr", or "/" where
  // /usr is a file system of its own (conformance/host_variant.sh usr-own-mount).
  EXPECT_THAT(o.out, ::testing::ContainsRegex(" /usr ro,nosuid,nodev"));
  EXPECT_THAT(o.out, ::testing::ContainsRegex(" /etc ro,nosuid,nodev"));
}

// runc's CVE-2024-21626 class: an fd the caller left open without O_CLOEXEC (here a
// directory of the host) must not reach the builder.
TEST_P(HostSafetyTest, BuilderGetsOnlyFdsZeroToTwo) {
  int leaked = open("/", O_RDONLY | O_DIRECTORY);  // no O_CLOEXEC, on purpose
  ASSERT_GE(leaked, 0);
  ASSERT_EQ(dup2(leaked, 9), 9);
  Outcome o = testing::Sbx(RunArgs({}, {"/bin/sh", "-c", "ls -l /proc/$$/fd"}));
  close(9);
  close(leaked);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, ::testing::Not(HasSubstr(" 9 -> "))) << "fd 9 leaked";
  EXPECT_THAT(o.out, ::testing::Not(::testing::ContainsRegex(" -> /\n"))) << "the host's / leaked";
  // Debian's sh keeps nothing else open; BusyBox's (the VM guest's) keeps a tty fd.
  if (!std::getenv("SBX_IN_VM")) {
    EXPECT_THAT(o.out, HasSubstr(" 2 -> "));
    EXPECT_THAT(o.out, ::testing::Not(HasSubstr(" 3 -> ")));
  }
}

TEST_P(HostSafetyTest, NoNewPrivilegesAndNixsSeccompFilter) {
  Outcome o = testing::Sbx(
      RunArgs({}, {"/bin/sh", "-c",
                   "grep -E '^(NoNewPrivs|Seccomp|CapEff):' /proc/self/status; touch f; "
                   "chmod u+s f && echo setuid-allowed; chmod g+s f && echo setgid-allowed; "
                   "chmod 0755 f && echo plain-allowed"}));
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("NoNewPrivs:\t1\n"));
  EXPECT_THAT(o.out, HasSubstr("Seccomp:\t2\n"));
  EXPECT_THAT(o.out, HasSubstr("CapEff:\t0000000000000000\n"));
  EXPECT_THAT(o.out, ::testing::Not(HasSubstr("setuid-allowed")));
  EXPECT_THAT(o.out, ::testing::Not(HasSubstr("setgid-allowed")));
  EXPECT_THAT(o.out, HasSubstr("plain-allowed"));
  EXPECT_THAT(o.err, HasSubstr("Operation not permitted"));
  // xattrs: a static helper in a root of its own, so that no tool is needed in the sandbox;
  // without the filter it would print "No such file or directory".
  testing::ScratchDir root("sbx-xattr-root");
  ASSERT_FALSE(root.path().empty());
  chmod(root.path().c_str(), 0755);
  {
    std::ifstream in(testing::RunfilePath("testing/setxattr_try"), std::ios::binary);
    std::ofstream out(root.path() + "/setxattr_try", std::ios::binary);
    ASSERT_TRUE(in && out);
    out << in.rdbuf();
  }
  chmod((root.path() + "/setxattr_try").c_str(), 0755);
  o = testing::Sbx(RunArgs({"--root", root.path()}, {"/setxattr_try"}));
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, "Operation not supported\n");
}

TEST_P(HostSafetyTest, WithoutUserNamespaceRootOrTheCallerIsRefused) {
  Outcome o = testing::Sbx(
      RunArgs({"--no-user-namespace", "--build-uid", "0", "--build-gid", "0"}, {"/bin/true"}));
  EXPECT_EQ(o.exit_code, 125);
  EXPECT_THAT(o.err, HasSubstr("cannot be root"));
  const std::string uid = std::to_string(getuid());
  o = testing::Sbx(
      RunArgs({"--no-user-namespace", "--build-uid", uid, "--build-gid", "30000"}, {"/bin/true"}));
  EXPECT_EQ(o.exit_code, 125);
  EXPECT_THAT(o.err, HasSubstr(getuid() == 0 ? "cannot be root" : "cannot be the caller"));
}

}  // namespace
}  // namespace sbx::host_safety
