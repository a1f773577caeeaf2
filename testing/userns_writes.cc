#include "testing/userns_writes.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "testing/host_probe.h"

namespace sbx::testing {
namespace {

// Shared with the writer child (same memory): what to do and where to put the results.
// Static, since inputs run one at a time.
struct Job {
  const Scenario* scenario;
  int step_errno[kMaxSteps];
  char files[3][16384];  // 340 extents of 33 bytes fit
  size_t file_sizes[3];
  const char* setup_failed;  // the step that failed, or null
  int setup_errno;
};

Job job;
alignas(64) char writer_stack[64 * 1024];
alignas(64) char holder_stack[16 * 1024];

long Sys(long number, long a = 0, long b = 0, long c = 0, long d = 0) {
  long r = syscall(number, a, b, c, d);
  return r < 0 ? -errno : r;
}

[[noreturn]] int HolderMain(void*) {
  for (;;) syscall(SYS_pause);
}

// "/proc/" PID "/" NAME, or "/proc/self/" NAME when pid is 0.
void ProcPath(char* out, long pid, const char* name) {
  const char* prefix = "/proc/";
  while (*prefix) *out++ = *prefix++;
  if (pid == 0) {
    for (const char* s = "self"; *s;) *out++ = *s++;
  } else {
    char digits[24];
    int n = 0;
    for (; pid > 0; pid /= 10) digits[n++] = static_cast<char>('0' + pid % 10);
    while (n > 0) *out++ = digits[--n];
  }
  *out++ = '/';
  while (*name) *out++ = *name++;
  *out = '\0';
}

int Fail(const char* step, long error) {
  job.setup_failed = step;
  job.setup_errno = static_cast<int>(-error);
  return 1;
}

const char* const kFileNames[3] = {"uid_map", "gid_map", "setgroups"};

int WriterMain(void*) {
  const Scenario& scenario = *job.scenario;
  WriterKind kind = scenario.writer.kind;
  long r;
  if (kind == WriterKind::kCaplessRootOutside || kind == WriterKind::kCaplessRootInside) {
    __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct none[2] = {};
    if ((r = Sys(SYS_capset, reinterpret_cast<long>(&header), reinterpret_cast<long>(none))) < 0)
      return Fail("capset", r);
  } else if (kind != WriterKind::kRoot) {
    // Raw syscalls: glibc's wrappers would change the ids of every thread of the fuzzer.
    if ((r = Sys(SYS_setgroups, 0, 0)) < 0) return Fail("setgroups", r);
    long gid = scenario.writer.gid, uid = scenario.writer.uid;
    if ((r = Sys(SYS_setresgid, gid, gid, gid)) < 0) return Fail("setresgid", r);
    if ((r = Sys(SYS_setresuid, uid, uid, uid)) < 0) return Fail("setresuid", r);
  }
  // A change of ids made the (shared) memory non-dumpable, which hands /proc/PID/* to root.
  if ((r = Sys(SYS_prctl, PR_SET_DUMPABLE, 1)) < 0) return Fail("prctl", r);

  long holder = 0;
  if (kind == WriterKind::kOwnerInside || kind == WriterKind::kCaplessRootInside) {
    if ((r = Sys(SYS_unshare, CLONE_NEWUSER)) < 0) return Fail("unshare(CLONE_NEWUSER)", r);
  } else {
    holder = clone(HolderMain, holder_stack + sizeof holder_stack,
                   CLONE_VM | CLONE_NEWUSER | SIGCHLD, nullptr);
    if (holder < 0) return Fail("clone(CLONE_VM|CLONE_NEWUSER)", -errno);
  }

  char path[64];
  for (size_t i = 0; i < scenario.step_count; ++i) {
    const Step& step = scenario.steps[i];
    ProcPath(path, holder, kFileNames[static_cast<int>(step.file)]);
    long fd = Sys(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      Fail("open for writing", fd);
      break;
    }
    long n = Sys(SYS_write, fd, reinterpret_cast<long>(step.bytes.data()),
                 static_cast<long>(step.bytes.size()));
    Sys(SYS_close, fd);
    if (n >= 0 && static_cast<size_t>(n) != step.bytes.size()) {
      Fail("write (short)", -EIO);
      break;
    }
    job.step_errno[i] = n < 0 ? static_cast<int>(-n) : 0;
  }
  for (int f = 0; f < 3 && !job.setup_failed; ++f) {
    ProcPath(path, holder, kFileNames[f]);
    long fd = Sys(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      Fail("open for reading", fd);
      break;
    }
    size_t size = 0;
    for (;;) {
      long n = Sys(SYS_read, fd, reinterpret_cast<long>(job.files[f] + size),
                   static_cast<long>(sizeof job.files[f] - size));
      if (n <= 0) {
        if (n < 0) Fail("read", n);
        break;
      }
      size += static_cast<size_t>(n);
    }
    Sys(SYS_close, fd);
    job.file_sizes[f] = size;
  }
  if (holder > 0) {
    Sys(SYS_kill, holder, SIGKILL);
    Sys(SYS_wait4, holder, 0, __WALL, 0);
  }
  return 0;
}

// Runs `scenario` in the writer child; what failed in setting it up, or "".
std::string RunJob(const Scenario& scenario) {
  job = Job{};
  job.scenario = &scenario;
  pid_t pid = clone(WriterMain, writer_stack + sizeof writer_stack,
                    CLONE_VM | CLONE_VFORK | SIGCHLD, nullptr);
  if (pid < 0) return std::string("clone(CLONE_VM|CLONE_VFORK): ") + std::strerror(errno);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || job.setup_failed) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%x", status);
    return std::string("the writer (") + WriterName(scenario.writer.kind) +
           ") failed: " + (job.setup_failed ? job.setup_failed : "?") + ": " +
           std::strerror(job.setup_errno) + " (status " + hex + ")";
  }
  return "";
}

}  // namespace

std::string KernelUnavailableReason(std::initializer_list<WriterKind> writers) {
  // The rules model a namespace whose parent is the initial one, where every id exists.
  std::string why = InitialRootUnavailableReason();
  if (!why.empty()) return why;
  for (WriterKind kind : writers) {
    Scenario probe;  // no writes: only the namespace is made
    probe.writer.kind = kind;
    probe.writer.uid = probe.writer.gid = 1000;
    why = RunOnKernel(probe).setup_error;
    if (!why.empty()) return "cannot create a user namespace: " + why;
  }
  return "";
}

KernelOutcome RunOnKernel(const Scenario& scenario) {
  KernelOutcome outcome;
  outcome.setup_error = RunJob(scenario);
  if (!outcome.setup_error.empty()) return outcome;
  for (size_t i = 0; i < kMaxSteps; ++i) outcome.step_errno[i] = job.step_errno[i];
  for (int f = 0; f < 3; ++f) outcome.files[f].assign(job.files[f], job.file_sizes[f]);
  return outcome;
}

const char* WriterName(WriterKind kind) {
  switch (kind) {
    case WriterKind::kRoot:
      return "root";
    case WriterKind::kOwnerOutside:
      return "owner-outside";
    case WriterKind::kOwnerInside:
      return "owner-inside";
    case WriterKind::kCaplessRootOutside:
      return "capless-root-outside";
    case WriterKind::kCaplessRootInside:
      return "capless-root-inside";
  }
  return "?";
}

}  // namespace sbx::testing
