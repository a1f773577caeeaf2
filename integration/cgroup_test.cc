// Cgroup placement and teardown (spec 28): clone3's CLONE_INTO_CGROUP and the fallback to
// cgroup.procs, cgroup.kill. These change the machine's cgroups, so they run in the VM, or on
// a host only with SBX_ALLOW_HOST_CGROUP=1.
#include "sandbox/cgroup.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "integration/test_util.h"
#include "sandbox/start_child.h"
#include "sandbox/unique_fd.h"

namespace sbx {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;

// Where this test may create cgroups: the VM says so; on a host, the cgroup2 hierarchy.
std::string CgroupBase() {
  if (const char* dir = std::getenv("SBX_VM_CGROUP")) return dir;
  for (const char* dir : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
    if (access((std::string(dir) + "/cgroup.procs").c_str(), W_OK) == 0 &&
        access((std::string(dir) + "/cgroup.max.depth").c_str(), F_OK) == 0) {
      return dir;
    }
  }
  return "";
}

struct Placement {
  StartMode mode;
  bool fallback;  // clone() and cgroup.procs instead of clone3 with CLONE_INTO_CGROUP
};

class CgroupTest : public ::testing::TestWithParam<Placement> {
 protected:
  void SetUp() override {
    const char* allowed = std::getenv("SBX_ALLOW_HOST_CGROUP");
    if (!allowed || std::string(allowed) != "1") {
      GTEST_SKIP() << "changes cgroups: runs in the VM, or with SBX_ALLOW_HOST_CGROUP=1";
    }
    const std::string why = testing::UserNamespaceUnavailableReason();
    if (!why.empty()) GTEST_SKIP() << why;
    const std::string base = CgroupBase();
    if (base.empty()) GTEST_SKIP() << "no writable cgroup v2 hierarchy";
    static int serial = 0;
    dir_ = base + "/sbx-test-" + std::to_string(getpid()) + "-" + std::to_string(++serial);
    ASSERT_EQ(mkdir(dir_.c_str(), 0755), 0) << dir_ << ": " << strerror(errno);
  }
  void TearDown() override {
    if (!dir_.empty()) rmdir(dir_.c_str());
  }
  StartConfig Config() const {
    StartConfig config = testing::BaseConfig(GetParam().mode);
    config.cgroup = dir_;
    config.force_clone_fallback = GetParam().fallback;
    return config;
  }
  std::string dir_;
};

TEST_P(CgroupTest, ChildIsPlacedBeforeReleaseAndSeesItsOwnCgroupRoot) {
  // Its own view: the cgroup namespace it unshared after placement starts at its cgroup.
  EXPECT_EQ(testing::Observe(Config(), [] { return testing::ReadFile("/proc/self/cgroup"); }),
            "0::/\n");

  int hold[2];
  ASSERT_EQ(pipe2(hold, O_CLOEXEC), 0);
  UniqueFd hold_read(hold[0]), hold_write(hold[1]);
  Child child =
      StartChild(Config(), nullptr, [fd = hold[0]] { return testing::ExecWaitingOn(fd, 0); });
  const std::string name = dir_.substr(dir_.rfind('/'));
  EXPECT_THAT(testing::ReadFile("/proc/" + std::to_string(child.pid()) + "/cgroup"),
              EndsWith(name + "\n"));
  EXPECT_THAT(testing::ReadFile(dir_ + "/cgroup.procs"),
              HasSubstr(std::to_string(child.pid()) + "\n"));
  hold_write.reset();
  EXPECT_EQ(child.Wait(), 0);
}

TEST_P(CgroupTest, DestroyKillsEveryProcessAndRemovesTheCgroup) {
  Child child = StartChild(Config(), nullptr, [] {
    // The builder forks a grandchild, which teardown must find through the cgroup.
    execl("/bin/sh", "sh", "-c", "sleep 300 & sleep 300", nullptr);
    return 101;
  });
  usleep(100000);
  DestroyCgroup(dir_);
  EXPECT_NE(access(dir_.c_str(), F_OK), 0) << "the cgroup is still there";
  const int status = child.Wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  dir_.clear();
}

INSTANTIATE_TEST_SUITE_P(Placements, CgroupTest,
                         ::testing::Values(Placement{StartMode::kLix, false},
                                           Placement{StartMode::kFast, false},
                                           Placement{StartMode::kFast, true}),
                         [](const auto& info) {
                           return std::string(info.param.mode == StartMode::kLix ? "lix" : "fast") +
                                  (info.param.fallback ? "_cgroup_procs" : "_clone3");
                         });

}  // namespace
}  // namespace sbx
