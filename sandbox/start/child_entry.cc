// The first code the builder runs, in both modes.
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <cerrno>

#include "sandbox/base/raw_syscall.h"
#include "sandbox/base/sys_error.h"
#include "sandbox/start/launcher.h"
#include "sandbox/start/release_channel.h"

namespace sbx {
namespace {

int Fail(const char* message, int length) {
  raw::Syscall3(SYS_write, 2, reinterpret_cast<long>(message), length);
  return 1;
}

// The parent's handlers are the parent's: the builder runs none of them. Ignored signals
// stay ignored, as across exec.
void ResetHandlers() {
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction old;
    if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, nullptr, &old) != 0) continue;
    if (old.sa_handler == SIG_IGN || old.sa_handler == SIG_DFL) continue;
    signal(sig, SIG_DFL);
  }
}

}  // namespace

void CheckBuilderUnshared(const ChildEntryArgs& entry) {
  const int unshared = __atomic_load_n(&entry.unshared, __ATOMIC_ACQUIRE);
  if (unshared == 0) return;
  if (unshared == ChildEntryArgs::kUnsharing) {
    throw SysError("the builder ended before making its network namespace", ESRCH);
  }
  throw SysError("creating the builder's network namespace", -unshared);
}

int ChildEntry(void* p) {
  auto& args = *static_cast<ChildEntryArgs*>(p);
  // The death signal first, so a parent that dies from here on takes the child with it.
  raw::Syscall3(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0);
  // The namespaces the parent left to us (a network namespace costs up to half a
  // millisecond), made while it prepares; it reads the result once we have exec'd
  // or ended. Without them we never run main.
  const long unshared =
      args.unshare_flags == 0 ? 0 : raw::Syscall3(SYS_unshare, args.unshare_flags, 0, 0);
  __atomic_store_n(&args.unshared, static_cast<int>(unshared), __ATOMIC_RELEASE);
  switch (ReleaseChannel::AwaitRelease(args.release_read_fd, args.release_write_fd)) {
    case ReleaseChannel::Verdict::kGo:
      break;
    case ReleaseChannel::Verdict::kAborted:
      return 1;  // the parent reports its own failure: a second message would only confuse
    case ReleaseChannel::Verdict::kBroken: {
      static const char kMessage[] = "sbx: user namespace initialisation failed\n";
      return Fail(kMessage, sizeof kMessage - 1);
    }
  }
  raw::Syscall3(SYS_close, args.release_read_fd, 0, 0);
  if (unshared < 0) return 1;  // the parent says why (CheckBuilderUnshared)
  if (args.unshare_cgroup && raw::Syscall3(SYS_unshare, CLONE_NEWCGROUP, 0, 0) < 0) {
    static const char kMessage[] = "sbx: unsharing the cgroup namespace failed\n";
    return Fail(kMessage, sizeof kMessage - 1);
  }
  // Released: the parent now waits for us (fast mode), so libc is ours to use.
  if (args.mask_after_release) {
    if (!args.handlers_reset_by_kernel) ResetHandlers();
    sigprocmask(SIG_SETMASK, args.mask_after_release, nullptr);
  }
  return (*args.main)();
}

}  // namespace sbx
