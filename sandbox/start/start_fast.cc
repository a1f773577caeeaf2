// The fast way: nothing copies the parent's page tables or runs at-fork handlers. A
// launcher shares the parent's memory while the calling thread is suspended (CLONE_VM |
// CLONE_VFORK, as posix_spawn does); it opens the pty slave and drops supplementary groups
// (only its own credentials change), then clones the builder with CLONE_VM | CLONE_PARENT
// and the namespace flags, straight into the cgroup with clone3's CLONE_INTO_CGROUP, and
// exits. The builder waits for release on its own stack using raw syscalls only (it shares
// the calling thread's TLS); after release the parent waits until the builder has exec'd
// or exited, so that from then on the two never run on the same memory at once. That wait
// uses CLONE_CHILD_CLEARTID, which the kernel honours on exec as on exit (as pthread_join
// relies on), not a pipe's EOF, which a stray holder of the write end could delay.
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "sandbox/base/sys_error.h"
#include "sandbox/base/syscalls.h"
#include "sandbox/base/unique_fd.h"
#include "sandbox/start/cgroup.h"
#include "sandbox/start/launcher.h"

namespace sbx {
namespace {

#ifdef CLONE_CLEAR_SIGHAND
constexpr uint64_t kCloneClearSighand = CLONE_CLEAR_SIGHAND;
#else
constexpr uint64_t kCloneClearSighand = 0x100000000ULL;  // linux/sched.h, 5.5+
#endif

constexpr size_t kLauncherStackSize = 256 << 10;
constexpr size_t kBuilderStackSize = 1 << 20;

// clone3 returns these where it, or CLONE_INTO_CGROUP, is unknown to the kernel.
bool Clone3Unsupported(int error) { return error == ENOSYS || error == E2BIG || error == EINVAL; }

class Stack {
 public:
  explicit Stack(size_t size) : size_(size) {
    base_ =
        mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (base_ == MAP_FAILED) throw SysError("allocating a stack", errno);
  }
  ~Stack() { munmap(base_, size_); }
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;
  void* base() const { return base_; }
  void* top() const { return static_cast<char*>(base_) + size_; }
  size_t size() const { return size_; }

 private:
  size_t size_;
  void* base_;
};

class FastLauncher : public Launcher {
 public:
  FastLauncher(const StartPlan& plan, const OpenSlave& open_slave)
      : plan_(plan), open_slave_(open_slave), builder_stack_(kBuilderStackSize) {}
  ~FastLauncher() override {
    if (pidfd_ >= 0) close(pidfd_);  // a start that failed before taking it
  }

  pid_t Launch(ChildEntryArgs& entry) override {
    entry_ = &entry;
    // Until release the builder shares our memory: it must not run our signal handlers.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &caller_mask_);
    entry.mask_after_release = &caller_mask_;
    struct RestoreMask {
      const sigset_t* mask;
      ~RestoreMask() { pthread_sigmask(SIG_SETMASK, mask, nullptr); }
    } restore{&caller_mask_};
    // plan_.force_clone_fallback: tests take clone() + cgroup.procs on kernels with clone3.
    if (plan_.cgroup && !plan_.force_clone_fallback) cgroup_fd_ = OpenCgroup(*plan_.cgroup);
    // The launcher exists to change credentials and open the slave without touching the
    // caller. With no slave to open and no supplementary group to drop, the builder can be
    // cloned from here (with the same result, one process fewer); setgroups of the empty
    // list changes nothing here but still says whether dropping is allowed (spec 10).
    if (!open_slave_ && getgroups(0, nullptr) == 0) {
      DropSupplementaryGroups(plan_.require_drop_supplementary_groups);
      return CloneBuilder(/*from_launcher=*/false);
    }

    launcher_stack_.emplace(kLauncherStackSize);  // only a start that needs the launcher
    pid_t launcher = sys::Clone(&FastLauncher::LauncherMain, launcher_stack_->top(),
                                CLONE_VM | CLONE_VFORK | SIGCHLD, this, nullptr);
    if (launcher < 0) throw SysError("starting the launcher", errno);
    // CLONE_VFORK: the launcher has exited by now; reaping it cannot block.
    int status = 0;
    int waited;
    while ((waited = sys::WaitPid(launcher, &status, 0)) < 0 && errno == EINTR) {
    }
    if (waited < 0) {
      const int error = errno;
      waitpid(launcher, nullptr, 0);
      KillAndReapCloned();
      throw SysError("waiting for the launcher", error);
    }
    // Killed (the OOM killer, an operator), maybe after its clone, before it stored the pid.
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      KillAndReapCloned();
      throw SysError("unable to start build process: launcher " + DescribeWaitStatus(status), 0);
    }
    if (builder_ < 0) throw error_.value_or(SysError("the launcher made no builder", 0));
    return builder_;
  }

  bool placed_in_cgroup() const override { return in_cgroup_; }
  const char* clone_path() const override { return cloned_with_clone3_ ? "clone3" : "clone"; }
  int TakePidfd() override { return std::exchange(pidfd_, -1); }

  void AfterRelease() override {
    for (pid_t tid; (tid = __atomic_load_n(&in_our_memory_, __ATOMIC_ACQUIRE)) != 0;) {
      syscall(SYS_futex, &in_our_memory_, FUTEX_WAIT, tid, nullptr, nullptr, 0);
    }
  }

 private:
  // Runs in the launcher, on the parent's memory, while the calling thread is suspended.
  static int LauncherMain(void* self) {
    auto& l = *static_cast<FastLauncher*>(self);
    try {
      if (l.open_slave_) l.open_slave_();  // before CLONE_NEWUSER (nix#8072)
      DropSupplementaryGroups(l.plan_.require_drop_supplementary_groups);
      l.builder_ = l.CloneBuilder(/*from_launcher=*/true);
    } catch (const SysError& e) {
      l.error_ = e;  // the same object: we share the parent's memory
    } catch (const std::exception& e) {
      l.error_ = SysError(e.what(), 0);
    }
    return 0;
  }

  // The builder, if one was cloned: the kernel's word for it, which a launcher killed before
  // it stored builder_ leaves too.
  void KillAndReapCloned() {
    const pid_t cloned = __atomic_load_n(&cloned_, __ATOMIC_ACQUIRE);
    if (cloned > 0) KillAndReap(cloned);
  }

  // From the launcher the builder is made our sibling (CLONE_PARENT), so that it is the
  // caller's child; it then takes the launcher's exit signal, SIGCHLD.
  pid_t CloneBuilder(bool from_launcher) {
    const int flags = plan_.clone_flags | CLONE_VM | CLONE_CHILD_CLEARTID | CLONE_PARENT_SETTID |
                      (from_launcher ? CLONE_PARENT : 0);
    if (!plan_.force_clone_fallback) {
      clone_args args;
      std::memset(&args, 0, sizeof args);
      // The parent's handlers reset to their defaults by the kernel, not by the builder
      // (ChildEntry). A kernel without the flag (before 5.5) refuses it: clone() below.
      args.flags = static_cast<uint64_t>(flags) | kCloneClearSighand;
      entry_->handlers_reset_by_kernel = true;  // read by the builder only after release
      args.stack = reinterpret_cast<uint64_t>(builder_stack_.base());
      args.stack_size = builder_stack_.size();
      args.child_tid = reinterpret_cast<uint64_t>(&in_our_memory_);
      args.parent_tid = reinterpret_cast<uint64_t>(&cloned_);
      if (cgroup_fd_) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = static_cast<uint64_t>(cgroup_fd_.get());
      }
      if (!from_launcher) {
        args.exit_signal = SIGCHLD;
        // The pidfd with the clone, one syscall fewer. Not from the launcher: it would land
        // in the launcher's fd table, which is not ours.
        args.flags |= CLONE_PIDFD;
        args.pidfd = reinterpret_cast<uint64_t>(&pidfd_);
      }
      long pid = sys::Clone3(&args, sizeof args, ChildEntry, entry_);
      if (pid > 0) {
        in_cgroup_ = static_cast<bool>(cgroup_fd_);
        cloned_with_clone3_ = true;
        return static_cast<pid_t>(pid);
      }
      if (!Clone3Unsupported(errno)) throw SysError("clone3 of the builder", errno);
    }
    entry_->handlers_reset_by_kernel = false;
    pid_t pid = sys::Clone(ChildEntry, builder_stack_.top(), flags | SIGCHLD, entry_,
                           &in_our_memory_, &cloned_);
    if (pid < 0) throw SysError("cloning the builder", errno);
    return pid;
  }

  const StartPlan& plan_;
  const OpenSlave& open_slave_;
  std::optional<Stack> launcher_stack_;
  Stack builder_stack_;
  UniqueFd cgroup_fd_;
  ChildEntryArgs* entry_ = nullptr;
  // Written by the launcher, read by the parent once it has exited.
  pid_t builder_ = -1;
  // Written by the kernel before the clone returns (CLONE_PARENT_SETTID).
  pid_t cloned_ = 0;
  // Non-zero until the builder execs or exits: the kernel then clears it and wakes us.
  pid_t in_our_memory_ = -1;
  sigset_t caller_mask_;
  bool in_cgroup_ = false;
  bool cloned_with_clone3_ = false;
  int pidfd_ = -1;                 // from CLONE_PIDFD, until taken
  std::optional<SysError> error_;  // why the launcher made no builder
};

}  // namespace

std::unique_ptr<Launcher> MakeFastLauncher(const StartPlan& plan, const OpenSlave& open_slave) {
  return std::make_unique<FastLauncher>(plan, open_slave);
}

}  // namespace sbx
