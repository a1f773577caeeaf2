#include "sandbox/userns_probe.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sbx {
namespace {

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
  EXPECT_EQ(&ProbeUserNamespaces(), &support) << "probed once per process";
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
