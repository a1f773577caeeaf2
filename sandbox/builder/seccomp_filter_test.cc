// The embedded seccomp program: the one libseccomp compiles on this host, instruction by
// instruction, and, loaded in a forked child (no privileges needed after NO_NEW_PRIVS), it
// refuses setuid and setgid modes with EPERM and xattrs with ENOTSUP, and allows the rest.
#include "sandbox/builder/seccomp_filter.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "sandbox/builder/seccomp_compile.h"
#include "testing/scratch_dir.h"

namespace sbx {
namespace {

TEST(SeccompFilter, EmbeddedProgramIsLibseccompsOnThisHost) {
  const std::vector<sock_filter> compiled = CompileBuilderSeccompProgram();
  const std::span<const sock_filter> embedded = BuilderSeccompProgram();
  ASSERT_EQ(embedded.size(), compiled.size());
  for (size_t i = 0; i < compiled.size(); ++i) {
    EXPECT_EQ(embedded[i].code, compiled[i].code) << "instruction " << i;
    EXPECT_EQ(embedded[i].jt, compiled[i].jt) << "instruction " << i;
    EXPECT_EQ(embedded[i].jf, compiled[i].jf) << "instruction " << i;
    EXPECT_EQ(embedded[i].k, compiled[i].k) << "instruction " << i;
  }
}

// Each check in the child exits with its own code on a wrong outcome.
TEST(SeccompFilter, LoadedProgramRefusesSetuidModesAndXattrsOnly) {
  testing::ScratchDir scratch("sbx-seccomp");
  ASSERT_FALSE(scratch.path().empty()) << "mkdtemp: " << strerror(errno);
  const std::string file = scratch.path() + "/f";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (LoadSeccompProgram(BuilderSeccompProgram()) != 0) _exit(10);
    const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) _exit(11);
    if (chmod(file.c_str(), 04755) == 0 || errno != EPERM) _exit(1);
    if (fchmod(fd, 02755) == 0 || errno != EPERM) _exit(2);
    if (fchmodat(AT_FDCWD, file.c_str(), 06755, 0) == 0 || errno != EPERM) _exit(3);
    if (syscall(452 /* fchmodat2 */, AT_FDCWD, file.c_str(), 04755, 0) == 0 || (errno != EPERM)) {
      _exit(4);
    }
    if (setxattr(file.c_str(), "user.x", "1", 1, 0) == 0 || errno != ENOTSUP) _exit(5);
    if (fsetxattr(fd, "user.x", "1", 1, 0) == 0 || errno != ENOTSUP) _exit(6);
    if (lsetxattr(file.c_str(), "user.x", "1", 1, 0) == 0 || errno != ENOTSUP) _exit(7);
    if (chmod(file.c_str(), 0700) != 0 || fchmod(fd, 0755) != 0) _exit(8);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "1-4: a setuid/setgid mode through chmod, fchmod, fchmodat, fchmodat2 not refused "
         "with EPERM; 5-7: an xattr not refused with ENOTSUP; 8: a plain mode refused; 10: "
         "load failed; 11: setup";
}

}  // namespace
}  // namespace sbx
