#include "sandbox/builder/seccomp_filter.h"

#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace sbx {
namespace {

constexpr sock_filter kBuilderProgram[] = {
#include "sandbox/tools/builder_seccomp_program.inc"
};

}  // namespace

std::span<const sock_filter> BuilderSeccompProgram() { return kBuilderProgram; }

int LoadSeccompProgram(std::span<const sock_filter> program) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return -errno;
  sock_fprog fprog{};
  fprog.len = static_cast<unsigned short>(program.size());
  fprog.filter = const_cast<sock_filter*>(program.data());
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0) return -errno;
  return 0;
}

}  // namespace sbx
