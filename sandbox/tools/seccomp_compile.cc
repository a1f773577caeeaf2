#include "sandbox/tools/seccomp_compile.h"

#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "sandbox/base/sys_error.h"
#include "sandbox/base/unique_fd.h"

namespace sbx {
namespace {

using Filter = std::unique_ptr<void, decltype(&seccomp_release)>;

void Check(int rc, const char* step) {
  if (rc < 0) throw SysError(std::string("seccomp: ") + step, -rc);
}

// Fails calls of `syscall` whose mode argument (number `mode_arg`) has `bit` set.
void DenyModeBit(scmp_filter_ctx ctx, int syscall, unsigned mode_arg, scmp_datum_t bit) {
  Check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), syscall, 1,
                         scmp_arg_cmp{mode_arg, SCMP_CMP_MASKED_EQ, bit, bit}),
        "adding a chmod rule");
}

}  // namespace

std::vector<sock_filter> CompileBuilderSeccompProgram() {
  Filter ctx(seccomp_init(SCMP_ACT_ALLOW), seccomp_release);
  if (!ctx) throw SysError("seccomp: init", ENOMEM);
  for (uint32_t arch : {SCMP_ARCH_X86, SCMP_ARCH_X32}) {
    int rc = seccomp_arch_add(ctx.get(), arch);
    if (rc < 0 && rc != -EEXIST) Check(rc, "adding an architecture");
  }
  // NO_NEW_PRIVS is set by LoadSeccompProgram itself.
  Check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0), "attributes");
  for (scmp_datum_t bit : {scmp_datum_t{S_ISUID}, scmp_datum_t{S_ISGID}}) {
    DenyModeBit(ctx.get(), SCMP_SYS(chmod), 1, bit);
    DenyModeBit(ctx.get(), SCMP_SYS(fchmod), 1, bit);
    DenyModeBit(ctx.get(), SCMP_SYS(fchmodat), 2, bit);
    // Debian 12's kernel headers predate fchmodat2 (Linux 6.6); libseccomp knows its number.
    DenyModeBit(ctx.get(), seccomp_syscall_resolve_name("fchmodat2"), 2, bit);
  }
  for (int call : {SCMP_SYS(setxattr), SCMP_SYS(lsetxattr), SCMP_SYS(fsetxattr)}) {
    Check(seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOTSUP), call, 0), "adding an xattr rule");
  }
  // libseccomp 2.5 writes the program to an fd; read it back from a memfd.
  UniqueFd fd(memfd_create("sbx-seccomp", MFD_CLOEXEC));
  if (!fd) throw SysError("seccomp: memfd_create", errno);
  Check(seccomp_export_bpf(ctx.get(), fd.get()), "exporting the program");
  const off_t size = lseek(fd.get(), 0, SEEK_CUR);
  if (size <= 0 || size % sizeof(sock_filter) != 0) throw SysError("seccomp: program size", EIO);
  std::vector<sock_filter> program(static_cast<size_t>(size) / sizeof(sock_filter));
  if (pread(fd.get(), program.data(), static_cast<size_t>(size), 0) != size) {
    throw SysError("seccomp: reading the program", errno ? errno : EIO);
  }
  return program;
}

}  // namespace sbx
