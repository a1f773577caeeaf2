// Each seam call of a start failed in turn, in each mode and fault scope: the start reports
// the step, user code never runs, and no process, temporary etc file or cgroup member is
// left. Cases of the start_child_test suite (start_child_fixture.h); fault_injection_test
// holds each call's outcome to a table.
#include <dirent.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "integration/start_child_fixture.h"
#include "sandbox/base/sys_error.h"
#include "sandbox/base/syscalls.h"
#include "sandbox/base/unique_fd.h"
#include "sandbox/start/start_child.h"
#include "testing/scratch_dir.h"
#include "testing/util.h"

namespace sbx {
namespace {

using ::testing::HasSubstr;
using testing::NoChildrenLeft;
using testing::ReadAvailable;
using testing::ReadFile;

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
  ASSERT_TRUE(testing::ScratchDir::RemoveAll(root));
}

}  // namespace
}  // namespace sbx
