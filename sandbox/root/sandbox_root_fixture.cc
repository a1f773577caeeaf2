#include "sandbox/root/sandbox_root_fixture.h"

#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "testing/own_userns.h"

namespace sbx::root_test {

BuilderSteps StepsIn(const std::string& build_dir) {
  BuilderSteps steps;
  steps.build_dir = build_dir;
  return steps;
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 ? st.st_mode : 0;
}

int ExitCodeOf(const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    alarm(20);
    _exit(body());
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool EnterPrivateMountNamespace() {
  if (geteuid() == 0) {
    if (unshare(CLONE_NEWNS) != 0) return false;
  } else if (!testing::UnshareOwnUserNamespace(CLONE_NEWNS, geteuid(), getegid())) {
    return false;
  }
  return mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
}

void SandboxRootTest::SetUp() {
  ASSERT_FALSE(scratch_.path().empty()) << "mkdtemp: " << strerror(errno);
  root_ = scratch_.path() + "/root";
  outside_ = scratch_.path() + "/outside";
  ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
  ASSERT_EQ(mkdir(outside_.c_str(), 0755), 0);
  ASSERT_EQ(chmod(root_.c_str(), 0755), 0);  // whatever the umask
  std::ofstream(outside_ + "/target") << "outside's own\n";
  ASSERT_EQ(testing::TreeOf(outside_), OutsideAsCreated());
}

}  // namespace sbx::root_test
