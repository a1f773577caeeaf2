// The builder's seccomp filter (seccomp_filter.h) compiled by libseccomp. Run at build time
// by seccomp_program_gen, whose output sbx embeds; the test that holds the embedded program
// to this one runs it again on the test's host.
#pragma once

#include <linux/filter.h>

#include <vector>

namespace sbx {

// The BPF program for the native architecture (plus x86's 32-bit ABIs on x86-64, so that
// int 0x80 and x32 calls cannot go around it). Throws SysError.
std::vector<sock_filter> CompileBuilderSeccompProgram();

}  // namespace sbx
