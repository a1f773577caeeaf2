// The seam the start's syscalls go through (the caller's, the lix helper's and the fast
// launcher's, and the etc files' writes into a root), so that a test can make the Nth call
// fail and check what happens (docs/architecture.md, "seams"). Other code calls the kernel
// itself: the root's preparation is tested with hostile roots, and the builder after
// release, like the leftover guard, may not touch errno or allocate.
//
// Each wrapper behaves like the syscall it names (result, or -1 with errno set). When a
// fault is armed and this is the Nth seam call in scope, the wrapper does nothing and fails
// with the armed errno instead. Calls are counted across the caller and the processes a
// start makes (the lix helper, the fast launcher), so the Nth call is one call of one
// process. The builder uses raw_syscall.h instead, so no fault reaches it.
#pragma once

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

namespace sbx::sys {

enum class FaultScope {
  kEveryProcess,  // calls of every process, in the order they happen
  kCallerOnly,    // calls of the process that armed the fault
  kHelpersOnly,   // calls of the processes a start makes (lix helper, fast launcher)
};

// Arms the fault: the nth call in scope from now (1-based) fails with `error`. nth 0
// disarms.
void FailNthCall(int nth, int error, FaultScope scope = FaultScope::kEveryProcess);
// Arms a second fault, in the same scope, for a later call (a failure in the cleanup after
// the first, say). Call after FailNthCall, which disarms it.
void AlsoFailNthCall(int nth, int error);
// Seam calls in scope since the last FailNthCall.
int CallCount();
// Those calls in order (the first 128), each as "caller|helper NAME DETAIL", e.g.
// "helper prctl 1" or "caller openat /proc/42/uid_map": which call the Nth was, and what
// the start did after it.
std::vector<std::string> CallTrace();

int Pipe2(int fds[2], int flags);
pid_t Fork();
// parent_tid: where CLONE_PARENT_SETTID has the kernel write the child's pid.
int Clone(int (*fn)(void*), void* stack_top, int flags, void* arg, pid_t* child_tid = nullptr,
          pid_t* parent_tid = nullptr);
long Clone3(void* clone_args, size_t size, int (*fn)(void*), void* arg);  // -1/errno
pid_t WaitPid(pid_t pid, int* status, int options);
ssize_t Read(int fd, void* buf, size_t count);
ssize_t Write(int fd, const void* buf, size_t count);
int OpenAt(int dirfd, const char* path, int flags, mode_t mode = 0);
int OpenAt2(int dirfd, const char* path, const open_how& how);  // -1/errno (ENOSYS before 5.6)
int RenameAt2(int olddirfd, const char* oldpath, int newdirfd, const char* newpath, unsigned flags);
int UnlinkAt(int dirfd, const char* path, int flags);
int LinkAt(int olddirfd, const char* oldpath, int newdirfd, const char* newpath, int flags);
int Setgroups(size_t size, const gid_t* list);  // this thread's credentials only
int Kill(pid_t pid, int sig);
int PidfdOpen(pid_t pid);
int Ioctl(int fd, unsigned long request);  // without an argument
int Prctl(int option, unsigned long arg);

}  // namespace sbx::sys
