#include "sandbox/start/userns_probe.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "testing/host_probe.h"
#include "testing/own_userns.h"

namespace sbx {
namespace {

// Makes the next fork() the first process of a new pid namespace (root may do so at once;
// others first enter a user namespace of their own, mapping their ids).
bool UnshareNewPidNamespace() {
  if (geteuid() == 0) return unshare(CLONE_NEWPID) == 0;
  return testing::UnshareOwnUserNamespace(CLONE_NEWPID, 0, 0);
}

// A child that exits at once; its pid.
pid_t ForkMarker() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid(pid, nullptr, 0);
  return pid;
}

// Exits with the number of processes that three calls of ProbeUserNamespaces() create.
// In a new pid namespace pids are handed out one after another, so the pids of two marker
// children around the calls count the processes made in between.
[[noreturn]] void ExitWithProbeCloneCount() {
  if (!UnshareNewPidNamespace()) _exit(100);
  const pid_t init = fork();  // pid 1 of the new namespace
  if (init == 0) {
    const pid_t before = ForkMarker();
    for (int i = 0; i < 3; ++i) ProbeUserNamespaces();
    const pid_t after = ForkMarker();
    _exit(before > 0 && after > before ? after - before - 1 : 101);
  }
  int status = 0;
  if (init < 0 || waitpid(init, &status, 0) != init || !WIFEXITED(status)) _exit(102);
  _exit(WEXITSTATUS(status));
}

// The probe's answer against an independent try: unshare in a forked child.
TEST(UserNamespaceProbe, AgreesWithUnshare) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) _exit(unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  const bool unshare_works = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  const UserNamespaceSupport& support = ProbeUserNamespaces();
  EXPECT_EQ(support.works, unshare_works) << support.diagnostics;
  EXPECT_EQ(support.diagnostics.empty(), support.works);
}

// Spec 2: the probe clones once per process, on the first call, and later calls reuse the
// answer. Counted in a fresh process (the death test re-executes this binary), where the
// probe has not run yet.
TEST(UserNamespaceProbe, ClonesOnceForManyCalls) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // A failed clone(CLONE_NEWUSER) makes no process, so there is nothing to count then.
  const std::string why = testing::UserNamespaceUnavailableReason();  // not the probe under test
  if (!why.empty()) GTEST_SKIP() << why;
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) _exit(UnshareNewPidNamespace() ? 0 : 1);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    GTEST_SKIP() << "cannot make a pid namespace here, in which to count the probe's clones";
  }
  EXPECT_EXIT(ExitWithProbeCloneCount(), ::testing::ExitedWithCode(1), "")
      << "three calls must clone exactly one child (exit code: the number of clones)";
}

// Where user namespaces are forbidden (here: by a user namespace nesting limit of 0 set
// inside one), the answer is no, with the knobs named.
TEST(UserNamespaceProbe, ReportsWhyNot) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (unshare(CLONE_NEWUSER) != 0) _exit(2);  // cannot set up the case here
    FILE* limit = fopen("/proc/sys/user/max_user_namespaces", "w");
    if (!limit || fputs("0", limit) < 0 || fclose(limit) != 0) _exit(3);
    const UserNamespaceSupport support = ProbeUserNamespacesNow();
    if (support.works) _exit(4);
    if (support.diagnostics.find("user.max_user_namespaces: 0") == std::string::npos) _exit(5);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 2 || WEXITSTATUS(status) == 3) {
    GTEST_SKIP() << "cannot make a user namespace with a nesting limit of 0 here";
  }
  EXPECT_EQ(WEXITSTATUS(status), 0) << "4: probe said yes, 5: diagnostics lack the limit";
}

}  // namespace
}  // namespace sbx

namespace sbx {
namespace {

// Spec 2, Lix e3b702fa2: the probe tries a clone instead of trusting sysctls. Here the
// sysctls say yes, but a seccomp filter (as a container runtime installs) refuses every
// new user namespace: the probe must say no.
TEST(UserNamespaceProbe, TriesInsteadOfTrustingSysctls) {
  const std::string why = testing::UserNamespaceUnavailableReason();  // not the probe under test
  if (!why.empty()) GTEST_SKIP() << why;
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    const scmp_datum_t newuser = CLONE_NEWUSER;
    bool ok = ctx != nullptr &&
              seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                               SCMP_A0(SCMP_CMP_MASKED_EQ, newuser, newuser)) == 0 &&
              seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1,
                               SCMP_A0(SCMP_CMP_MASKED_EQ, newuser, newuser)) == 0 &&
              // clone3's flags are in memory a filter cannot read: refuse it, as runtimes do.
              seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) == 0 &&
              seccomp_load(ctx) == 0;
    if (!ok) _exit(10);
    const std::string sysctl = [] {
      int fd = open("/proc/sys/user/max_user_namespaces", O_RDONLY | O_CLOEXEC);
      char buf[32] = {};
      if (fd >= 0) (void)!read(fd, buf, sizeof buf - 1);
      return std::string(buf);
    }();
    if (sysctl.empty() || sysctl == "0\n") _exit(11);  // the sysctl must say yes
    const UserNamespaceSupport support = ProbeUserNamespacesNow();
    if (support.works) _exit(12);
    _exit(support.diagnostics.find("user.max_user_namespaces") == std::string::npos ? 13 : 0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "10 seccomp, 11 sysctl says no, 12 probe said yes, 13 no diagnostics";
}

}  // namespace
}  // namespace sbx
