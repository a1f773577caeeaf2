// Raw x86-64 syscalls that touch neither errno nor any other thread-local state. The fast
// mode's child shares the parent's address space (and the calling thread's TLS) until it
// is released, so until then it may only use these (as glibc's posix_spawn child does).
#pragma once

#if !defined(__x86_64__)
#error "sandbox/base/raw_syscall.h and clone3_trampoline.S are written for x86-64 only"
#endif

#include <cstdint>

namespace sbx::raw {

// Returns the kernel's result: >= 0 on success, -errno on failure.
inline long Syscall3(long nr, long a, long b, long c) {
  long ret;
  asm volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return ret;
}

}  // namespace sbx::raw

extern "C" {
// clone3(2) that runs fn(arg) on the stack given in args and exits with its result; the
// parent gets the child's pid or -errno. glibc does not export a clone3 wrapper that takes
// a function (its clone() cannot pass CLONE_INTO_CGROUP). See clone3_trampoline.S.
long sbx_clone3(void* clone_args, unsigned long size, int (*fn)(void*), void* arg);
}
