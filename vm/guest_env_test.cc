// What every VM test relies on, checked from inside the guest: the expected user, /proc,
// cgroup2 with a cgroup the test may manage, user namespaces (and, rootless, the setuid id-map
// helpers with /etc/subuid), loopback and the busybox tools. Takes --expected_uid=N, which
// also proves that test arguments reach the guest.

#include <gtest/gtest.h>
#include <linux/magic.h>
#include <pwd.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "testing/util.h"

namespace {

int expected_uid = -1;

using sbx::testing::ReadFile;

// Runs `body` in a forked child and returns its exit status, so namespace changes stay there.
template <typename Body>
int InChild(Body body) {
  pid_t pid = fork();
  if (pid == 0) _exit(body());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(GuestEnv, RunsAsTheExpectedUser) {
  ASSERT_GE(expected_uid, 0) << "pass --expected_uid=N";
  EXPECT_EQ(getuid(), static_cast<uid_t>(expected_uid));
  EXPECT_EQ(geteuid(), static_cast<uid_t>(expected_uid));
  passwd* entry = getpwuid(getuid());
  ASSERT_NE(entry, nullptr);
  EXPECT_STREQ(entry->pw_name, expected_uid == 0 ? "root" : "sbx");
}

TEST(GuestEnv, ProcIsMounted) {
  struct statfs fs {};
  ASSERT_EQ(statfs("/proc", &fs), 0);
  EXPECT_EQ(fs.f_type, PROC_SUPER_MAGIC);
  EXPECT_EQ(access("/proc/self/ns/user", F_OK), 0);
}

TEST(GuestEnv, Cgroup2IsMountedAndTheTestMayCreateCgroups) {
  struct statfs fs {};
  ASSERT_EQ(statfs("/sys/fs/cgroup", &fs), 0);
  EXPECT_EQ(fs.f_type, CGROUP2_SUPER_MAGIC);
  EXPECT_EQ(ReadFile("/proc/self/cgroup").rfind("0::/", 0), 0u);
  const char* parent = std::getenv("SBX_VM_CGROUP");
  ASSERT_NE(parent, nullptr);
  std::string probe = std::string(parent) + "/guest-env-probe";
  ASSERT_EQ(mkdir(probe.c_str(), 0755), 0) << probe;
  EXPECT_EQ(rmdir(probe.c_str()), 0);
}

TEST(GuestEnv, CreatesAUserNamespaceAndMapsItself) {
  uid_t outer = getuid();
  int status = InChild([outer] {
    if (unshare(CLONE_NEWUSER) != 0) return 1;
    std::ofstream("/proc/self/uid_map") << "0 " << outer << " 1\n";
    return getuid() == 0 ? 0 : 2;
  });
  EXPECT_EQ(status, 0);
}

TEST(GuestEnv, RootlessMapsSubordinateIdsWithNewuidmap) {
  if (getuid() == 0) GTEST_SKIP() << "root has no /etc/subuid range; the rootless run checks";
  int ready[2];
  int go[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(go), 0);
  pid_t pid = fork();
  if (pid == 0) {
    char byte = 0;
    if (unshare(CLONE_NEWUSER) != 0) _exit(1);
    if (write(ready[1], &byte, 1) != 1 || read(go[0], &byte, 1) != 1) _exit(2);
    // Two extents: ourselves as root, and the 65536 subordinate ids from /etc/subuid.
    _exit(ReadFile("/proc/self/uid_map").find("100000") != std::string::npos ? 0 : 3);
  }
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1);
  std::string command =
      "newuidmap " + std::to_string(pid) + " 0 " + std::to_string(getuid()) + " 1 1 100000 65536";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  ASSERT_EQ(write(go[1], &byte, 1), 1);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(GuestEnv, LoopbackIsUp) {
  int flags = std::stoi(ReadFile("/sys/class/net/lo/flags"), nullptr, 16);
  EXPECT_TRUE(flags & 0x1) << "IFF_UP";
}

TEST(GuestEnv, BusyboxToolsAreOnThePath) {
  EXPECT_EQ(std::system("id -u >/dev/null && hostname >/dev/null && ip link show lo >/dev/null"),
            0);
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  constexpr std::string_view kFlag = "--expected_uid=";
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with(kFlag)) expected_uid = std::stoi(std::string(arg.substr(kFlag.size())));
  }
  return RUN_ALL_TESTS();
}
