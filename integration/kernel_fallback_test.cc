// The start's fallbacks, on guest kernels that really lack what they stand in for (the VM
// kernel matrix, vm/kernels.bzl). For each kernel feature the start uses or falls back from:
//  - the kernel's own answer (the raw syscall or ioctl: ENOSYS, E2BIG, ENOTTY, ...) must match
//    what the guest kernel's version says, so a variant tagged kernel-5.10 really ran 5.10;
//  - for the features the start chooses a path for (clone, mount), `sbx run --timing` must
//    report the path it took, the fallback exactly where the kernel lacks the feature (its
//    JSON line's "paths" object, see docs/vm.md);
//  - the forced fallback and the default path must give the same observable sandbox.
// Runs on the host too, where only the kernel's answers are checked against its version.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "testing/sbx_process.h"

namespace sbx {
namespace {

// Numbers from the kernel's uapi headers, which Debian 12's may predate.
constexpr long kSysMountSetattr = 442;                          // Linux 5.12
constexpr long kSysFchmodat2 = 452;                             // Linux 6.6
constexpr long kSysPidfdOpen = 434;                             // Linux 5.3
constexpr unsigned long kPidfdGetUserNamespace = _IO(0xFF, 9);  // Linux 6.11
constexpr uint64_t kCloneIntoCgroup = 0x200000000ULL;           // Linux 5.7

struct Version {
  int major = 0;
  int minor = 0;
  bool AtLeast(const Version& other) const {
    return major != other.major ? major > other.major : minor >= other.minor;
  }
};

std::string Release() {
  utsname u{};
  uname(&u);
  return u.release;
}

Version Running() {
  Version v;
  std::sscanf(Release().c_str(), "%d.%d", &v.major, &v.minor);
  return v;
}

// 0 when the kernel has the feature, else the errno by which it says it has not.
using Probe = int (*)();

int ProbeClone3IntoCgroup() {
  // A cgroup fd that is no cgroup: a kernel that knows CLONE_INTO_CGROUP rejects the fd
  // (EBADF) before creating anything; one that does not rejects the size or flag (E2BIG,
  // EINVAL), or clone3 itself (ENOSYS).
  int not_a_cgroup = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  clone_args args{};
  args.flags = kCloneIntoCgroup;
  args.exit_signal = SIGCHLD;
  args.cgroup = static_cast<uint64_t>(not_a_cgroup);
  long result = syscall(SYS_clone3, &args, sizeof args);
  int error = errno;
  // Cannot happen with that fd; still, never let a child run the test.
  if (result == 0) _exit(0);
  if (result > 0) waitpid(static_cast<pid_t>(result), nullptr, 0);
  close(not_a_cgroup);
  return error == EBADF ? 0 : error;
}

int ProbeMountSetattr() {
  // Size 0 is below every version of struct mount_attr: EINVAL where the call exists.
  long result = syscall(kSysMountSetattr, -1, "", 0, nullptr, 0);
  return result < 0 && errno == ENOSYS ? ENOSYS : 0;
}

int ProbeFchmodat2() {
  long result = syscall(kSysFchmodat2, -1, nullptr, 0, ~0u);
  return result < 0 && errno == ENOSYS ? ENOSYS : 0;
}

int ProbePidfdNamespaceIoctl() {
  long pidfd = syscall(kSysPidfdOpen, getpid(), 0);
  if (pidfd < 0) return errno;
  long result = ioctl(static_cast<int>(pidfd), kPidfdGetUserNamespace, 0);
  int error = result < 0 ? errno : 0;
  if (result >= 0) close(static_cast<int>(result));
  close(static_cast<int>(pidfd));
  // Before 6.11 a pidfd has no ioctls at all.
  return error == ENOTTY ? ENOTTY : 0;
}

struct Feature {
  const char* name;  // also the key in `sbx run --timing`'s "paths"
  Version since;     // first kernel with it
  Probe probe;
  const char* primary;   // the path taken where the kernel has it
  const char* fallback;  // and where it has not
};

// The features the start chooses a path for (reported by `sbx run --timing`)...
const Feature kStartPaths[] = {
    {"clone", {5, 7}, ProbeClone3IntoCgroup, "clone3", "clone"},
    {"mount", {5, 12}, ProbeMountSetattr, "mount_setattr", "remount"},
};
// ...and all the matrix checks the kernel's own answer for: the seccomp filter names
// fchmodat2 whether the kernel has it or not, and namespace fds always come from /proc.
const Feature kFeatures[] = {
    kStartPaths[0],
    kStartPaths[1],
    {"chmod", {6, 6}, ProbeFchmodat2, "fchmodat2", "fchmodat"},
    {"nsfds", {6, 11}, ProbePidfdNamespaceIoctl, "pidfd_ioctl", "proc"},
};

class KernelFeature : public ::testing::TestWithParam<Feature> {};
class StartPath : public ::testing::TestWithParam<Feature> {};

TEST(GuestKernel, IsTheKernelOfTheVariant) {
  const char* wanted = std::getenv("SBX_GUEST_KERNEL");
  if (!wanted) GTEST_SKIP() << "not a kernel variant of the VM matrix (SBX_GUEST_KERNEL unset)";
  EXPECT_EQ(Release().rfind(std::string(wanted) + ".", 0), 0u)
      << "the variant is for " << wanted << ", the guest runs " << Release();
}

TEST_P(KernelFeature, KernelAnswersAsItsVersionSays) {
  const Feature& f = GetParam();
  const int error = f.probe();
  const bool expected = Running().AtLeast(f.since);
  std::printf("kernel %s: %s %s (%s)\n", Release().c_str(), f.name, error ? "missing" : "present",
              error ? strerrorname_np(error) : "ok");
  EXPECT_EQ(error == 0, expected) << f.name << " is " << (error ? "missing" : "present") << " on "
                                  << Release() << ", which is "
                                  << (expected ? "at or after" : "before") << " Linux "
                                  << f.since.major << "." << f.since.minor;
}

// `sbx run --mode fast` of a script that prints what the fallbacks must leave unchanged: the
// id maps, the cgroup, the mount points and their options.
testing::Outcome RunProbe(bool force_fallback) {
  std::vector<std::string> args = {"run", "--mode", "fast", "--timing"};
  std::string cgroup;
  if (const char* base = std::getenv("SBX_VM_CGROUP")) {
    cgroup = std::string(base) + "/kernel-fallback-" + std::to_string(getpid()) +
             (force_fallback ? "-forced" : "");
    args.insert(args.end(), {"--cgroup", cgroup});
  }
  args.insert(args.end(), {"--", "/bin/sh", "-c",
                           "cat /proc/self/uid_map /proc/self/gid_map /proc/self/cgroup; "
                           "awk '{print $5, $6}' /proc/self/mountinfo"});
  if (force_fallback) setenv("SBX_FORCE_FALLBACK", "clone,mount", 1);
  testing::Outcome o = testing::Sbx(args);
  unsetenv("SBX_FORCE_FALLBACK");
  return o;
}

// The value of `key` in the "paths" object of --timing's JSON line, if there is one.
std::optional<std::string> PathTaken(const std::string& stderr_text, const std::string& key) {
  std::smatch paths;
  if (!std::regex_search(stderr_text, paths, std::regex("\"paths\":\\{([^}]*)\\}"))) {
    return std::nullopt;
  }
  const std::string body = paths[1];
  std::smatch value;
  if (!std::regex_search(body, value, std::regex("\"" + key + "\":\"([^\"]*)\""))) {
    return std::nullopt;
  }
  return value[1];
}

TEST_P(StartPath, StartTakesTheFallbackExactlyWhereTheKernelLacksTheFeature) {
  if (!std::getenv("SBX_IN_VM")) GTEST_SKIP() << "starts sandboxes: runs in the VM matrix";
  const Feature& f = GetParam();
  testing::Outcome o = RunProbe(false);
  ASSERT_EQ(o.exit_code, 0) << o.err;
  std::optional<std::string> taken = PathTaken(o.err, f.name);
  ASSERT_TRUE(taken) << "sbx run --timing reports no path for " << f.name << ": " << o.err;
  EXPECT_EQ(*taken, f.probe() == 0 ? f.primary : f.fallback) << "on " << Release();
}

TEST(Fallbacks, ForcedFallbackGivesTheSameSandbox) {
  if (!std::getenv("SBX_IN_VM")) GTEST_SKIP() << "starts sandboxes: runs in the VM matrix";
  testing::Outcome normal = RunProbe(false);
  testing::Outcome forced = RunProbe(true);
  ASSERT_EQ(normal.exit_code, 0) << normal.err;
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(forced.out, normal.out);
  EXPECT_NE(normal.out.find("0::/\n"), std::string::npos) << "not in a cgroup of its own";
  EXPECT_EQ(PathTaken(forced.err, "clone"), "clone") << forced.err;
  EXPECT_EQ(PathTaken(forced.err, "mount"), "remount") << forced.err;
}

INSTANTIATE_TEST_SUITE_P(Features, KernelFeature, ::testing::ValuesIn(kFeatures),
                         [](const auto& info) { return std::string(info.param.name); });
INSTANTIATE_TEST_SUITE_P(Paths, StartPath, ::testing::ValuesIn(kStartPaths),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace sbx
