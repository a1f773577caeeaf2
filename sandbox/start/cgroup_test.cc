// The cgroup writer (spec 28) without a start: its errors on what is not a cgroup (any
// user), and, where this process may make a cgroup v2 (root, or a delegated hierarchy),
// placing a plain forked process and tearing the cgroup down by cgroup.kill and by the
// fallback of SIGKILL rounds over cgroup.procs. integration/cgroup_test.cc covers the
// same through StartChild (with user namespaces); these need neither.
#include "sandbox/start/cgroup.h"

#include <fcntl.h>
#include <ftw.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sandbox/base/sys_error.h"
#include "sandbox/base/syscalls.h"
#include "sandbox/base/unique_fd.h"
#include "testing/scratch_dir.h"
#include "testing/util.h"

namespace sbx {
namespace {

// A scratch dir, removed with all it holds.
class Scratch : public testing::ScratchDir {
 public:
  Scratch() : ScratchDir("sbx-cgroup") {}
};

// Expects `f` to throw a SysError with `error` whose step names `what`.
template <typename F>
void ExpectSysError(F f, int error, const std::string& what) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one naming " << what;
  } catch (const SysError& e) {
    EXPECT_EQ(e.error(), error) << e.what();
    EXPECT_NE(e.step().find(what), std::string::npos) << e.what();
  }
}

TEST(CgroupErrors, OpenNamesAMissingPathOrAFile) {
  Scratch scratch;
  ASSERT_FALSE(scratch.path().empty());
  const std::string missing = scratch.path() + "/missing";
  ExpectSysError([&] { OpenCgroup(missing); }, ENOENT, missing);
  const std::string file = scratch.path() + "/file";
  ASSERT_EQ(close(open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644)), 0);
  ExpectSysError([&] { OpenCgroup(file); }, ENOTDIR, file);
}

// A plain directory has no cgroup.procs: AddToCgroup says so and creates nothing.
TEST(CgroupErrors, AddToAPlainDirectoryNamesItsCgroupProcs) {
  Scratch scratch;
  ASSERT_FALSE(scratch.path().empty());
  ExpectSysError([&] { AddToCgroup(scratch.path(), getpid()); }, ENOENT,
                 std::to_string(getpid()) + " to " + scratch.path() + "/cgroup.procs");
  EXPECT_NE(access((scratch.path() + "/cgroup.procs").c_str(), F_OK), 0) << "it created the file";
}

// Teardown of a cgroup already gone succeeds; of a directory that cannot be removed it
// names the directory.
TEST(CgroupErrors, DestroyIsIdempotentAndNamesWhatStays) {
  Scratch scratch;
  ASSERT_FALSE(scratch.path().empty());
  EXPECT_NO_THROW(DestroyCgroup(scratch.path() + "/gone"));
  const std::string full = scratch.path() + "/full";
  ASSERT_EQ(mkdir(full.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((full + "/sub").c_str(), 0755), 0);
  ExpectSysError([&] { DestroyCgroup(full); }, ENOTEMPTY, "removing cgroup " + full);
  EXPECT_EQ(access((full + "/sub").c_str(), F_OK), 0);
}

// The v2 cgroup path of a process ("0::PATH" in /proc/PID/cgroup), or "".
std::string V2Path(pid_t pid) {
  const std::string text = testing::ReadFile("/proc/" + std::to_string(pid) + "/cgroup");
  const size_t at = text.rfind("0::");
  if (at == std::string::npos || (at > 0 && text[at - 1] != '\n')) return "";
  return text.substr(at + 3, text.find('\n', at) - at - 3);
}

bool Gone(pid_t pid) {
  // Reaped, or a zombie (no longer in any cgroup's count).
  return kill(pid, 0) != 0 ||
         testing::ReadFile("/proc/" + std::to_string(pid) + "/stat").find(") Z") !=
             std::string::npos;
}

// A cgroup of this test's directly under the writable v2 hierarchy, and a forked child
// placed in it that then forks a grandchild the writer is never told about. Both pause
// until killed.
class RealCgroup : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string base = testing::CgroupBase();
    if (base.empty()) {
      GTEST_SKIP() << "no cgroup v2 hierarchy this user may write (needs root, or a delegated "
                      "cgroup)";
    }
    name_ = "sbx-unit-cgroup-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = base + "/" + name_;
    ASSERT_EQ(mkdir(dir_.c_str(), 0755), 0) << dir_ << ": " << strerror(errno);
  }
  void TearDown() override {
    sys::FailNthCall(0, 0);
    if (child_ > 0) {
      kill(child_, SIGKILL);
      waitpid(child_, nullptr, 0);
    }
    if (grandchild_ > 0 && !Gone(grandchild_)) kill(grandchild_, SIGKILL);
    if (!dir_.empty() && access(dir_.c_str(), F_OK) == 0) {
      try {
        DestroyCgroup(dir_);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "cleanup: " << e.what();
      }
    }
  }

  void PlaceChildAndGrandchild() {
    int go[2], report[2];
    ASSERT_EQ(pipe2(go, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(report, O_CLOEXEC), 0);
    UniqueFd go_read(go[0]), go_write(go[1]), report_read(report[0]), report_write(report[1]);
    child_ = fork();
    ASSERT_GE(child_, 0);
    if (child_ == 0) {
      char byte;
      if (read(go[0], &byte, 1) != 1) _exit(1);
      const pid_t grandchild = fork();
      if (grandchild == 0) {
        for (;;) pause();
      }
      if (write(report[1], &grandchild, sizeof grandchild) != sizeof grandchild) _exit(2);
      for (;;) pause();
    }
    go_read.reset();
    report_write.reset();
    AddToCgroup(dir_, child_);
    ASSERT_EQ(write(go_write.get(), "g", 1), 1);
    ASSERT_EQ(read(report_read.get(), &grandchild_, sizeof grandchild_),
              static_cast<ssize_t>(sizeof grandchild_));
    ASSERT_GT(grandchild_, 0);
    // Both in the cgroup (the path is relative to our cgroup namespace: compare its end).
    for (pid_t pid : {child_, grandchild_}) {
      const std::string path = V2Path(pid);
      EXPECT_EQ(path.substr(path.rfind('/') + 1), name_) << pid << " in '" << path << "'";
    }
    const std::string listed = testing::ReadFile(dir_ + "/cgroup.procs");
    EXPECT_NE(listed.find(std::to_string(child_) + "\n"), std::string::npos) << listed;
  }

  // Destroys the cgroup; then the child died of SIGKILL, the grandchild too, and the
  // directory is gone.
  void DestroyAndCheck() {
    DestroyCgroup(dir_);
    EXPECT_NE(access(dir_.c_str(), F_OK), 0) << "the cgroup is still there";
    int status = 0;
    ASSERT_EQ(waitpid(child_, &status, 0), child_);
    child_ = -1;
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    EXPECT_TRUE(Gone(grandchild_)) << "grandchild " << grandchild_ << " survived";
  }

  std::string name_, dir_;
  pid_t child_ = -1, grandchild_ = -1;
};

TEST_F(RealCgroup, OpenGivesTheCgroupDirectory) {
  UniqueFd fd = OpenCgroup(dir_);
  ASSERT_TRUE(fd);
  struct statfs fs;
  ASSERT_EQ(fstatfs(fd.get(), &fs), 0);
  EXPECT_EQ(fs.f_type, CGROUP2_SUPER_MAGIC);
  struct stat by_fd, by_path;
  ASSERT_EQ(fstat(fd.get(), &by_fd), 0);
  ASSERT_EQ(stat(dir_.c_str(), &by_path), 0);
  EXPECT_TRUE(by_fd.st_dev == by_path.st_dev && by_fd.st_ino == by_path.st_ino);
  EXPECT_NE(fcntl(fd.get(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST_F(RealCgroup, AddPlacesAndDestroyKillsEveryProcessAndRemoves) {
  PlaceChildAndGrandchild();
  DestroyAndCheck();
}

// As on a kernel before 5.14: cgroup.kill cannot be opened (the seam's first call fails),
// so the SIGKILL rounds over cgroup.procs must find both processes.
TEST_F(RealCgroup, WithoutCgroupKillTheRoundsOfSigkillDoTheSame) {
  PlaceChildAndGrandchild();
  sys::FailNthCall(1, ENOENT, sys::FaultScope::kCallerOnly);
  DestroyAndCheck();
  EXPECT_GE(sys::CallCount(), 3) << "cgroup.kill, then at least one kill() per process";
  sys::FailNthCall(0, 0);
}

}  // namespace
}  // namespace sbx
