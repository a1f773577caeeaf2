// The builder's seccomp filter, as Nix's: no setuid/setgid files (chmod, fchmod, fchmodat
// and fchmodat2 with S_ISUID or S_ISGID fail with EPERM) and no extended attributes or ACLs
// (the setxattr family fails with ENOTSUP), everything else allowed. Compiled by libseccomp
// in the parent, so that the builder only has to load it (one syscall, no allocation).
#pragma once

#include <linux/filter.h>

#include <vector>

namespace sbx {

// The BPF program for the native architecture (plus x86's 32-bit ABIs on x86-64, so that
// int 0x80 and x32 calls cannot go around it). Throws SysError.
std::vector<sock_filter> BuilderSeccompProgram();

// In the builder, right before exec: PR_SET_NO_NEW_PRIVS, then the filter. Returns 0, or
// -errno of the failing step. Allocates nothing.
int LoadSeccompProgram(const std::vector<sock_filter>& program);

}  // namespace sbx
