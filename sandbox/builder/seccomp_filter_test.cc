// The embedded seccomp program: the one libseccomp compiles on this host, instruction by
// instruction, and, loaded in a forked child (no privileges needed after NO_NEW_PRIVS), it
// refuses setuid and setgid modes with EPERM and xattrs with ENOTSUP, and allows the rest.
#include "sandbox/builder/seccomp_filter.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
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

#include "sandbox/tools/seccomp_compile.h"
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

// The i386 and x32 ABIs of an x86_64 kernel (Nix's filter covers both: a builder could
// otherwise reach chmod and setxattr through their numbers). i386 calls take 32-bit
// pointers: the path lives in a page mapped below 2 GiB.
#if defined(__x86_64__)
long I386Syscall(long nr, long a, long b, long c) {
  long ret;
  asm volatile("int $0x80"
               : "=a"(ret)
               : "a"(nr), "b"(a), "c"(b), "d"(c)
               : "memory", "r8", "r9", "r10", "r11");
  return ret;
}

constexpr long kI386Getpid = 20, kI386Chmod = 15, kI386Setxattr = 226;
constexpr long kX32Bit = 0x40000000, kX32Chmod = 90, kX32Setxattr = 188;

// Whether int $0x80 works here (a kernel may be built or booted without ia32 emulation).
bool HaveI386Emulation() {
  const pid_t pid = fork();
  if (pid == 0) _exit(I386Syscall(kI386Getpid, 0, 0, 0) == getpid() ? 0 : 1);
  int status = 0;
  return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST(SeccompFilter, ForeignAbisAreRefusedToo) {
  if (!HaveI386Emulation()) GTEST_SKIP() << "the kernel has no i386 emulation (ia32_emulation)";
  testing::ScratchDir scratch("sbx-seccomp-abi");
  ASSERT_FALSE(scratch.path().empty()) << "mkdtemp: " << strerror(errno);
  const std::string file = scratch.path() + "/f";
  ASSERT_LT(file.size(), 4000u);
  const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  close(fd);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    void* low =
        mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (low == MAP_FAILED) _exit(11);
    char* path = static_cast<char*>(low);
    std::strcpy(path, file.c_str());
    char* name = path + 4008;
    std::strcpy(name, "user.x");
    const long p = reinterpret_cast<long>(path), n = reinterpret_cast<long>(name);
    // Without the filter the kernel would allow these (or say ENOSYS for a disabled x32).
    if (LoadSeccompProgram(BuilderSeccompProgram()) != 0) _exit(10);
    if (I386Syscall(kI386Chmod, p, 04755, 0) != -EPERM) _exit(1);
    if (I386Syscall(kI386Setxattr, p, n, p) != -ENOTSUP) _exit(2);
    if (I386Syscall(kI386Chmod, p, 0700, 0) != 0) _exit(3);
    if (syscall(kX32Bit | kX32Chmod, path, 04755) == 0 || errno != EPERM) _exit(4);
    if (syscall(kX32Bit | kX32Setxattr, path, name, path, 1, 0) == 0 || errno != ENOTSUP) {
      _exit(5);
    }
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "1-2: i386 chmod u+s / setxattr not refused; 3: an i386 plain chmod refused; 4-5: "
         "x32 chmod u+s / setxattr not refused; 10: load failed; 11: setup";
}
#endif

}  // namespace
}  // namespace sbx
