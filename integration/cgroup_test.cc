// Cgroup placement and teardown (spec 28): clone3's CLONE_INTO_CGROUP and the fallback to
// cgroup.procs, cgroup.kill. On a host (v2-only, or hybrid with the v2 hierarchy at
// /sys/fs/cgroup/unified) and in the VM, each case makes a cgroup of its own under a
// directory of this test's, and removes both; nothing else of the machine's cgroups changes.
#include "sandbox/start/cgroup.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <exception>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "sandbox/base/syscalls.h"
#include "sandbox/base/unique_fd.h"
#include "sandbox/start/start_child.h"
#include "testing/util.h"

namespace sbx {
namespace {

using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// One line of /proc/PID/cgroup, as cgroups(7) defines it: hierarchy-ID:controller-list:path.
// The v2 hierarchy's line is "0::PATH"; a hybrid host adds one line per v1 hierarchy
// ("4:memory:PATH", "1:name=systemd:PATH"). Paths are relative to the reader's cgroup
// namespace.
struct CgroupLine {
  std::string id;
  std::string controllers;
  std::string path;
  bool operator==(const CgroupLine&) const = default;
};

// The lines of a /proc/PID/cgroup text; a line without two colons fails the test.
std::vector<CgroupLine> ParseProcCgroup(const std::string& text) {
  std::vector<CgroupLine> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const size_t first = line.find(':');
    const size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) {
      ADD_FAILURE() << "not a /proc/PID/cgroup line: '" << line << "'";
      continue;
    }
    lines.push_back({line.substr(0, first), line.substr(first + 1, second - first - 1),
                     line.substr(second + 1)});
  }
  return lines;
}

// The cgroup v2 path of a /proc/PID/cgroup text, or "(no v2 line)".
std::string V2Path(const std::string& text) {
  for (const CgroupLine& line : ParseProcCgroup(text)) {
    if (line.id == "0" && line.controllers.empty()) return line.path;
  }
  return "(no v2 line)";
}

TEST(ProcCgroup, ParsesV2OnlyAndHybridHosts) {
  EXPECT_THAT(ParseProcCgroup("0::/\n"), ElementsAre(CgroupLine{"0", "", "/"}));
  const std::string hybrid = "9:name=systemd:/\n4:memory:/a/b\n1:cpu,cpuacct:/\n0::/c:d\n";
  EXPECT_THAT(ParseProcCgroup(hybrid),
              ElementsAre(CgroupLine{"9", "name=systemd", "/"}, CgroupLine{"4", "memory", "/a/b"},
                          CgroupLine{"1", "cpu,cpuacct", "/"}, CgroupLine{"0", "", "/c:d"}));
  EXPECT_EQ(V2Path(hybrid), "/c:d");
  EXPECT_EQ(V2Path("4:memory:/a\n"), "(no v2 line)");
}

struct Placement {
  StartMode mode;
  bool fallback;  // clone() and cgroup.procs instead of clone3 with CLONE_INTO_CGROUP
};

class CgroupTest : public ::testing::TestWithParam<Placement> {
 protected:
  void SetUp() override {
    const std::string why = testing::UserNamespaceUnavailableReason();
    if (!why.empty()) GTEST_SKIP() << why;
    const std::string base = testing::CgroupBase();
    if (base.empty()) {
      GTEST_SKIP() << "no cgroup v2 hierarchy this user may write (needs root, or a delegated "
                      "cgroup as in the VM)";
    }
    // This test's cgroup, and in it one per case.
    own_ = base + "/sbx-cgroup-test-" + std::to_string(getpid());
    ASSERT_TRUE(mkdir(own_.c_str(), 0755) == 0 || errno == EEXIST)
        << own_ << ": " << strerror(errno);
    static int serial = 0;
    dir_ = own_ + "/" + std::to_string(++serial);
    ASSERT_EQ(mkdir(dir_.c_str(), 0755), 0) << dir_ << ": " << strerror(errno);
  }
  void TearDown() override {
    if (!dir_.empty()) {
      try {
        DestroyCgroup(dir_);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "removing " << dir_ << ": " << e.what();
      }
    }
    if (!own_.empty()) EXPECT_EQ(rmdir(own_.c_str()), 0) << own_ << ": " << strerror(errno);
  }
  StartConfig Config() const {
    StartConfig config{.mode = GetParam().mode};
    config.cgroup = dir_;
    config.force_clone_fallback = GetParam().fallback;
    return config;
  }
  std::string own_;  // this test's cgroup, removed after each case
  std::string dir_;  // the case's cgroup, in own_
};

TEST_P(CgroupTest, ChildIsPlacedBeforeReleaseAndSeesItsOwnCgroupRoot) {
  // Its own view: the cgroup namespace it unshared after placement starts at its cgroup, in
  // the v2 hierarchy and in each v1 hierarchy of a hybrid host alike.
  const std::vector<CgroupLine> seen = ParseProcCgroup(
      testing::Observe(Config(), [] { return testing::ReadFile("/proc/self/cgroup"); }));
  EXPECT_THAT(seen, Not(IsEmpty()));
  EXPECT_THAT(seen, Each(Field(&CgroupLine::path, "/")));
  EXPECT_EQ(std::count_if(
                seen.begin(), seen.end(),
                [](const CgroupLine& line) { return line.id == "0" && line.controllers.empty(); }),
            1)
      << "one cgroup v2 line";

  int hold[2];
  ASSERT_EQ(pipe2(hold, O_CLOEXEC), 0);
  UniqueFd hold_read(hold[0]), hold_write(hold[1]);
  Child child =
      StartChild(Config(), nullptr, [fd = hold[0]] { return testing::ExecWaitingOn(fd, 0); });
  // Seen from here: the v2 line names the case's cgroup (the path is relative to our cgroup
  // namespace, hence only its end).
  EXPECT_THAT(V2Path(testing::ReadFile("/proc/" + std::to_string(child.pid()) + "/cgroup")),
              EndsWith(dir_.substr(own_.rfind('/'))));
  EXPECT_THAT(testing::ReadFile(dir_ + "/cgroup.procs"),
              HasSubstr(std::to_string(child.pid()) + "\n"));
  hold_write.reset();
  EXPECT_EQ(child.Wait(), 0);
}

// Spec 28's order, from the start's own calls rather than a race the child must win: the
// seam's trace (a fault armed that never fires records every call) has the placement (a
// clone3 into the cgroup, or the write to cgroup.procs) before the release pipe's "1\n".
TEST_P(CgroupTest, PlacementPrecedesTheRelease) {
  sys::FailNthCall(1 << 20, EIO, sys::FaultScope::kEveryProcess);
  Child child = StartChild(Config(), nullptr, [] { return 0; });
  const std::vector<std::string> trace = sys::CallTrace();
  sys::FailNthCall(0, 0);
  EXPECT_EQ(child.Wait(), 0);
  std::string listing;
  for (const std::string& call : trace) listing += call + "\n";
  const auto first = [&](const std::function<bool(const std::string&)>& is) {
    return std::find_if(trace.begin(), trace.end(), is) - trace.begin();
  };
  const auto placed = first([&](const std::string& call) {
    return GetParam().mode == StartMode::kFast && !GetParam().fallback
               ? call.find(" clone3") != std::string::npos
               : call.find(" write ") != std::string::npos &&
                     call.find("cgroup.procs") != std::string::npos;
  });
  const auto released = first([](const std::string& call) {
    return call.rfind("caller write pipe:", 0) == 0 && call.size() > 3 &&
           call.compare(call.size() - 3, 3, " 1|") == 0;  // "1\n", the trace shows | for \n
  });
  ASSERT_LT(placed, static_cast<long>(trace.size())) << "no placement in:\n" << listing;
  ASSERT_LT(released, static_cast<long>(trace.size())) << "no release in:\n" << listing;
  EXPECT_LT(placed, released) << listing;
}

TEST_P(CgroupTest, DestroyKillsEveryProcessAndRemovesTheCgroup) {
  int ready[2];
  ASSERT_EQ(pipe2(ready, O_CLOEXEC), 0);
  UniqueFd ready_read(ready[0]), ready_write(ready[1]);
  Child child = StartChild(Config(), nullptr, [fd = ready[1]] {
    // The builder forks a grandchild, which teardown must find through the cgroup, and says
    // so on fd 3 once it exists.
    if (dup2(fd, 3) != 3) return 102;
    execl("/bin/sh", "sh", "-c", "sleep 300 & echo ready >&3; exec sleep 300", nullptr);
    return 101;
  });
  ready_write.reset();
  char word[6] = {};
  ASSERT_EQ(read(ready_read.get(), word, 5), 5) << "the builder never started its grandchild";
  ASSERT_STREQ(word, "ready");
  // Both are in the cgroup (host pids: the builder's own view is its pid namespace's).
  std::vector<std::string> pids;
  std::istringstream procs(testing::ReadFile(dir_ + "/cgroup.procs"));
  for (std::string pid; procs >> pid;) pids.push_back(pid);
  ASSERT_EQ(pids.size(), 2u) << "the builder and its grandchild";
  DestroyCgroup(dir_);
  EXPECT_NE(access(dir_.c_str(), F_OK), 0) << "the cgroup is still there";
  const int status = child.Wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  for (const std::string& pid : pids) {
    EXPECT_NE(access(("/proc/" + pid).c_str(), F_OK), 0) << "process " << pid << " survived";
  }
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
