// Opens and mkdirs beneath a directory fd (beneath.h): no symlink on the way is followed,
// not even one inside the root, and ".." cannot leave it. OpenBeneath is checked twice:
// with openat2 (the kernel's RESOLVE_BENEATH) here, and with its fallback of one O_NOFOLLOW
// component at a time in a forked child where a seccomp filter makes openat2 say ENOSYS, as
// a kernel before 5.6 does. Symlinks point into an "outside" dir of this test's scratch dir.
#include "sandbox/root/beneath.h"

#include <fcntl.h>
#include <ftw.h>
#include <gtest/gtest.h>
#include <linux/openat2.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <string>

#include "sandbox/base/sys_error.h"
#include "sandbox/base/unique_fd.h"
#include "testing/scratch_dir.h"

namespace sbx {
namespace {

// A scratch dir under $TEST_TMPDIR (else /tmp), removed with all it holds: root/ with
// a/b/file, in -> a (a symlink that stays inside), l -> the outside dir, s -> outside/victim
// (not there); outside/ with target.
class Scratch {
 public:
  Scratch() {
    if (dir_.path().empty()) return;
    root = dir_.path() + "/root";
    outside = dir_.path() + "/outside";
    ok = mkdir(root.c_str(), 0755) == 0 && mkdir(outside.c_str(), 0755) == 0 &&
         mkdir((root + "/a").c_str(), 0755) == 0 && mkdir((root + "/a/b").c_str(), 0755) == 0 &&
         symlink("a", (root + "/in").c_str()) == 0 &&
         symlink(outside.c_str(), (root + "/l").c_str()) == 0 &&
         symlink((outside + "/victim").c_str(), (root + "/s").c_str()) == 0;
    std::ofstream(root + "/a/b/file") << "content";
    std::ofstream(outside + "/target") << "outside's own";
    root_fd.reset(open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ok = ok && root_fd;
  }
  // The names in the outside dir.
  std::set<std::string> Outside() const {
    std::set<std::string> names;
    for (const char* name : {"target", "victim", "new", "sub"}) {
      if (access((outside + "/" + name).c_str(), F_OK) == 0) names.insert(name);
    }
    return names;
  }

  bool ok = false;
  std::string root, outside;
  UniqueFd root_fd;

 private:
  testing::ScratchDir dir_{"sbx-beneath"};  // root and outside live inside it
};

std::string Describe(const std::string& path, const UniqueFd& fd, int error) {
  return path + ": " + (fd ? "opened" : std::string("failed: ") + strerror(error));
}

// The OpenBeneath cases, on the scratch: "" when all hold, else what did not.
std::string CheckOpenBeneath(const Scratch& s) {
  std::string failures;
  auto fail = [&](const std::string& what) { failures += what + "\n"; };
  {
    UniqueFd fd = OpenBeneath(s.root_fd.get(), "a/b/file", O_RDONLY);
    char buf[16] = {};
    if (!fd || read(fd.get(), buf, sizeof buf - 1) != 7 || std::string(buf) != "content") {
      fail("a/b/file could not be read beneath the root: " + Describe("a/b/file", fd, errno));
    }
  }
  {
    UniqueFd fd = OpenBeneath(s.root_fd.get(), "a/./new", O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (!fd || access((s.root + "/a/new").c_str(), F_OK) != 0) {
      fail("a/new was not created: " + Describe("a/./new", fd, errno));
    }
  }
  // Refused, with the errno each promises, and nothing made outside.
  struct Refusal {
    const char* path;
    int flags;
    std::set<int> errors;
  };
  for (const Refusal& r : {
           Refusal{"l/new", O_WRONLY | O_CREAT, {ELOOP, ENOTDIR, EXDEV}},  // symlinked parent
           Refusal{"l/target", O_RDONLY, {ELOOP, ENOTDIR, EXDEV}},
           Refusal{"s", O_WRONLY | O_CREAT, {ELOOP, EXDEV}},  // symlinked last
           Refusal{"in/b/file", O_RDONLY, {ELOOP, ENOTDIR}},  // a symlink inside the root
           Refusal{"../outside/target", O_RDONLY, {EXDEV}},
           Refusal{"a/../../outside/target", O_RDONLY, {EXDEV}},
       }) {
    errno = 0;
    UniqueFd fd = OpenBeneath(s.root_fd.get(), r.path, r.flags, 0644);
    const int error = errno;
    if (fd || !r.errors.count(error))
      fail("not refused as promised: " + Describe(r.path, fd, error));
  }
  if (s.Outside() != std::set<std::string>{"target"}) fail("something was created outside");
  return failures;
}

// In the calling process, for good: openat2 fails with ENOSYS, as before Linux 5.6.
bool HideOpenat2() {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  const bool ok = ctx != nullptr &&
                  seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0) == 0 &&
                  seccomp_load(ctx) == 0;
  if (ctx) seccomp_release(ctx);
  return ok;
}

bool KernelHasOpenat2() {
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC;
  const long fd = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how);
  if (fd >= 0) close(static_cast<int>(fd));
  return fd >= 0;
}

TEST(OpenBeneath, WithOpenat2) {
  if (!KernelHasOpenat2()) GTEST_SKIP() << "this kernel has no openat2 (before 5.6)";
  Scratch s;
  ASSERT_TRUE(s.ok) << strerror(errno);
  EXPECT_EQ(CheckOpenBeneath(s), "");
}

TEST(OpenBeneath, WithTheFallbackOfOneComponentAtATime) {
  Scratch s;
  ASSERT_TRUE(s.ok) << strerror(errno);
  int report[2];
  ASSERT_EQ(pipe2(report, O_CLOEXEC), 0);
  UniqueFd report_read(report[0]), report_write(report[1]);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    alarm(20);
    std::string failures;
    if (!HideOpenat2()) {
      failures = "could not install the seccomp filter";
    } else if (KernelHasOpenat2() || errno != ENOSYS) {
      failures = "openat2 is not hidden";
    } else {
      failures = CheckOpenBeneath(s);
    }
    (void)!write(report[1], failures.data(), failures.size());
    _exit(0);
  }
  report_write.reset();
  std::string failures;
  char buf[512];
  for (ssize_t n; (n = read(report_read.get(), buf, sizeof buf)) > 0;) failures.append(buf, n);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(failures, "");
}

// Expects MakeDirsBeneath(path) to throw a SysError with one of `errors` naming `named`.
void ExpectRefused(const Scratch& s, const std::string& path, std::set<int> errors,
                   const std::string& named) {
  try {
    MakeDirsBeneath(s.root_fd.get(), path, 0755, "ROOT");
    ADD_FAILURE() << path << " was made";
  } catch (const SysError& e) {
    EXPECT_TRUE(errors.count(e.error())) << e.what();
    EXPECT_NE(e.step().find(named), std::string::npos) << e.what();
  }
}

TEST(MakeDirsBeneath, MakesEachMissingDirWithTheModeAndOpensTheLast) {
  Scratch s;
  ASSERT_TRUE(s.ok) << strerror(errno);
  const mode_t old_umask = umask(0);
  UniqueFd fd = MakeDirsBeneath(s.root_fd.get(), "a/x/./y//z", 0711, "ROOT");
  umask(old_umask);
  ASSERT_TRUE(fd);
  struct stat by_fd, by_path;
  ASSERT_EQ(fstat(fd.get(), &by_fd), 0);
  ASSERT_EQ(stat((s.root + "/a/x/y/z").c_str(), &by_path), 0);
  EXPECT_TRUE(by_fd.st_dev == by_path.st_dev && by_fd.st_ino == by_path.st_ino);
  EXPECT_EQ(by_path.st_mode & 07777, 0711u);
  EXPECT_EQ(fcntl(fd.get(), F_GETFL) & O_ACCMODE, O_RDONLY);
  EXPECT_NE(fcntl(fd.get(), F_GETFD) & FD_CLOEXEC, 0);
  struct stat existing;
  ASSERT_EQ(stat((s.root + "/a").c_str(), &existing), 0);
  EXPECT_EQ(existing.st_mode & 07777, 0755u) << "an existing dir's mode was changed";
  // Again: all exist now, which is fine.
  EXPECT_TRUE(MakeDirsBeneath(s.root_fd.get(), "a/x/y/z", 0711, "ROOT"));
}

TEST(MakeDirsBeneath, RefusesSymlinksAndDotDot) {
  Scratch s;
  ASSERT_TRUE(s.ok) << strerror(errno);
  ExpectRefused(s, "l/sub", {ELOOP, ENOTDIR}, "ROOT/l");  // would make outside/sub
  ExpectRefused(s, "l", {ELOOP, ENOTDIR}, "ROOT/l");
  ExpectRefused(s, "in/b", {ELOOP, ENOTDIR}, "ROOT/in");  // inside the root, still refused
  ExpectRefused(s, "a/../../outside/sub", {EXDEV}, "ROOT/a/..");
  ExpectRefused(s, "../outside/sub", {EXDEV}, "ROOT/..");
  EXPECT_EQ(s.Outside(), std::set<std::string>{"target"});
}

}  // namespace
}  // namespace sbx
