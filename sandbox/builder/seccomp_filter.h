// The builder's seccomp filter, as Nix's: no setuid/setgid files (chmod, fchmod, fchmodat
// and fchmodat2 with S_ISUID or S_ISGID fail with EPERM) and no extended attributes or ACLs
// (the setxattr family fails with ENOTSUP), everything else allowed. Compiled by libseccomp
// at build time (seccomp_compile.h) and embedded, so that sbx neither probes the kernel nor
// compiles a program per run, and the builder only has to load it (one syscall).
#pragma once

#include <linux/filter.h>

#include <span>

namespace sbx {

// The embedded BPF program for the build's architecture (plus x86's 32-bit ABIs on x86-64).
std::span<const sock_filter> BuilderSeccompProgram();

// In the builder, right before exec: PR_SET_NO_NEW_PRIVS, then the filter. Returns 0, or
// -errno of the failing step. Allocates nothing.
int LoadSeccompProgram(std::span<const sock_filter> program);

}  // namespace sbx
