// StartChild's `prepare`, the caller's own work during a start (RunInSandbox's root and
// build dir): it reaches the child, a failure in it fails the start, and in fast mode the
// builder makes its network namespace itself meanwhile. That namespace must be what a
// clone would have made (the kernel says who owns it), and a builder that could not make it
// must never run: it would be in the host's network.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "integration/start_child_fixture.h"
#include "sandbox/base/sys_error.h"
#include "sandbox/base/unique_fd.h"
#include "testing/util.h"

namespace sbx {
namespace {

using testing::ExecWaitingOn;

StartConfig Preparing(StartMode mode) {
  StartConfig config{.mode = mode};
  config.caller_prepares_during_start = true;
  return config;
}

ino_t InodeOf(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

ino_t InodeOf(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

TEST_P(StartChildTest, WhatPrepareMakesReachesTheChild) {
  int prepared = 0;
  int runs = 0;
  Child child = StartChild(
      PlanStart(Preparing(GetParam())), nullptr, [&prepared] { return prepared; },
      [&] {
        ++runs;
        prepared = 42;
      });
  const int status = child.Wait();
  EXPECT_EQ(runs, 1);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 42) << "the child ran before prepare's work was done";
}

TEST_P(StartChildTest, APrepareThatThrowsFailsTheStartAndNoChildRuns) {
  int ran[2];
  ASSERT_EQ(pipe2(ran, O_CLOEXEC), 0);
  UniqueFd ran_read(ran[0]), ran_write(ran[1]);
  try {
    Child child = StartChild(
        PlanStart(Preparing(GetParam())), nullptr,
        [fd = ran[1]] { return write(fd, "x", 1) == 1 ? 0 : 1; },
        [] { throw SysError("preparing the root", ENOSPC); });
    ADD_FAILURE() << "the start went on after prepare threw";
  } catch (const SysError& e) {
    EXPECT_EQ(e.error(), ENOSPC) << e.what();
  }
  ran_write.reset();
  char byte;
  EXPECT_EQ(read(ran_read.get(), &byte, 1), 0) << "the child ran";
}

// The kernel is the oracle: a network namespace belongs to the user namespace of whoever
// made it, so one the builder unshared after its clone must belong to the builder's.
TEST_P(StartChildTest, APreparingCallersBuilderHasTheNetworkNamespaceACloneWouldGive) {
  for (const bool private_network : {true, false}) {
    SCOPED_TRACE(private_network ? "private network" : "shared network");
    StartConfig config = Preparing(GetParam());
    config.private_network = private_network;
    const StartPlan plan = PlanStart(config);
    int hold[2];
    ASSERT_EQ(pipe2(hold, O_CLOEXEC), 0);
    UniqueFd hold_read(hold[0]), hold_write(hold[1]);
    Child child = StartChild(
        plan, nullptr, [fd = hold[0]] { return ExecWaitingOn(fd, 0); }, [] {});
    const std::string proc = "/proc/" + std::to_string(child.pid()) + "/ns/net";
    UniqueFd net(open(proc.c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(net) << proc << ": " << strerror(errno);
    if (private_network) {
      EXPECT_NE(InodeOf(net.get()), InodeOf("/proc/self/ns/net"));
      UniqueFd owner(ioctl(net.get(), NS_GET_USERNS));
      ASSERT_TRUE(owner) << "NS_GET_USERNS: " << strerror(errno);
      EXPECT_EQ(InodeOf(owner.get()), InodeOf(child.user_ns_fd()))
          << "the builder's network namespace is not its user namespace's";
    } else {
      EXPECT_EQ(InodeOf(net.get()), InodeOf("/proc/self/ns/net"));
    }
    hold_write.reset();
    EXPECT_EQ(child.Wait(), 0);
  }
}

// Where the builder may not unshare a network namespace (a seccomp filter says EACCES to
// exactly that), the start fails with that errno and nothing runs. Lix's clone makes the
// namespace itself (a filter cannot see clone3's flags), so there the start succeeds.
TEST_P(StartChildTest, ABuilderThatCannotMakeItsNetworkNamespaceNeverRuns) {
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    const bool filtered =
        ctx && seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1) == 0 &&
        seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(unshare), 1,
                         SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWNET, CLONE_NEWNET)) == 0 &&
        seccomp_load(ctx) == 0;
    if (!filtered) _exit(10);
    if (unshare(CLONE_NEWNET) == 0 || errno != EACCES) _exit(11);  // the filter works
    int ran[2];
    if (pipe2(ran, O_CLOEXEC) < 0) _exit(12);
    int code = 0;
    try {
      Child child = StartChild(
          PlanStart(Preparing(GetParam())), nullptr,
          [fd = ran[1]] { return write(fd, "x", 1) == 1 ? 0 : 1; }, [] {});
      code = child.Wait() == 0 && GetParam() == StartMode::kLix ? 0 : 1;
    } catch (const SysError& e) {
      const bool said = e.error() == EACCES &&
                        std::string(e.what()).find("network namespace") != std::string::npos;
      code = !said ? 2 : GetParam() == StartMode::kLix ? 3 : 0;
    }
    close(ran[1]);
    char byte;
    const bool ran_at_all = read(ran[0], &byte, 1) == 1;
    if (code == 0 && ran_at_all != (GetParam() == StartMode::kLix)) code = 4;
    if (code == 0 && !testing::NoChildrenLeft()) code = 5;
    _exit(code);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "10/11/12: the filter could not be set up, 1: the start went on, 2: wrong error, "
         "3: lix refused, 4: the child ran (or lix's did not), 5: a child was left";
}

}  // namespace
}  // namespace sbx
