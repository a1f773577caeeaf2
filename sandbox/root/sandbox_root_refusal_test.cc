// A sandbox root that would write outside itself is refused before anything is written,
// without privileges: a symlink planted in a given root, the host's / and a root holding
// the host's /etc. The two refusal cases run in a child that cannot write to any file
// system at all (a seccomp filter), so that a broken refusal fails the case instead of
// writing to the host. Cases of the sandbox_root_test target (sandbox_root_fixture.h).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <seccomp.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "sandbox/base/sys_error.h"
#include "sandbox/root/sandbox_root.h"
#include "sandbox/root/sandbox_root_fixture.h"
#include "testing/scratch_dir.h"

namespace sbx::root_test {
namespace {

using Scratch = testing::ScratchDir;

// In the calling process, for good: every syscall that creates, removes, renames, changes
// the mode or owner of, or opens for writing a file fails with EPERM; openat2 says ENOSYS
// (so that callers fall back to openat, whose flags the filter can see). False if it could
// not be installed.
bool ForbidFileSystemWritesUnchecked();

// ForbidFileSystemWritesUnchecked, then proof that it holds: creating a file or a dir in `scratch`
// fails. False when either is possible.
bool ForbidFileSystemWritesIn(const std::string& scratch) {
  if (!ForbidFileSystemWritesUnchecked()) return false;
  const std::string probe = scratch + "/write-probe";
  const int fd = open(probe.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
  return fd < 0 && mkdir(probe.c_str(), 0755) != 0 && access(probe.c_str(), F_OK) != 0;
}

bool ForbidFileSystemWritesUnchecked() {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) return false;
  bool ok = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0) == 0;
  for (int syscall :
       {SCMP_SYS(mkdir),    SCMP_SYS(mkdirat),   SCMP_SYS(mknod),     SCMP_SYS(mknodat),
        SCMP_SYS(symlink),  SCMP_SYS(symlinkat), SCMP_SYS(link),      SCMP_SYS(linkat),
        SCMP_SYS(unlink),   SCMP_SYS(unlinkat),  SCMP_SYS(rmdir),     SCMP_SYS(rename),
        SCMP_SYS(renameat), SCMP_SYS(renameat2), SCMP_SYS(chmod),     SCMP_SYS(fchmod),
        SCMP_SYS(fchmodat), SCMP_SYS(chown),     SCMP_SYS(fchown),    SCMP_SYS(fchownat),
        SCMP_SYS(lchown),   SCMP_SYS(truncate),  SCMP_SYS(ftruncate), SCMP_SYS(creat),
        SCMP_SYS(mount),    SCMP_SYS(setxattr),  SCMP_SYS(lsetxattr), SCMP_SYS(fsetxattr),
        SCMP_SYS(utimensat)}) {
    ok = ok && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), syscall, 0) == 0;
  }
  // An open for writing, creating or truncating, whatever else its flags say.
  for (scmp_datum_t flag : {O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_TMPFILE & ~O_DIRECTORY}) {
    ok = ok &&
         seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(openat), 1,
                          SCMP_A2(SCMP_CMP_MASKED_EQ, flag, flag)) == 0 &&
         seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(open), 1,
                          SCMP_A1(SCMP_CMP_MASKED_EQ, flag, flag)) == 0;
  }
  ok = ok && seccomp_load(ctx) == 0;
  seccomp_release(ctx);
  return ok;
}

// A symlink planted in a given root, pointing into the outside dir: preparing the root
// fails, and nothing in the outside dir is created or changed (tmp's 1777 included).
struct Planted {
  const char* name;    // where in the root, parents made as dirs first
  const char* target;  // relative to the outside dir
  const char* build_dir;
};

class PlantedSymlink : public SandboxRootTest, public ::testing::WithParamInterface<Planted> {};

TEST_P(PlantedSymlink, NothingIsCreatedOutside) {
  const std::string name = GetParam().name;
  for (size_t slash = name.find('/'); slash != std::string::npos;
       slash = name.find('/', slash + 1)) {
    ASSERT_EQ(mkdir((root_ + "/" + name.substr(0, slash)).c_str(), 0755), 0);
  }
  const std::string target = outside_ + "/" + GetParam().target;
  ASSERT_EQ(symlink(target.c_str(), (root_ + "/" + name).c_str()), 0);
  const mode_t outside_mode = ModeOf(outside_);
  try {
    SandboxRoot root(root_, getgid());
    root.Populate(StepsIn(GetParam().build_dir));
    ADD_FAILURE() << "a root with " << name << " -> outside was prepared";
  } catch (const SysError& e) {
    EXPECT_NE(std::string(e.what()).find(root_), std::string::npos) << e.what();
  }
  EXPECT_EQ(testing::TreeOf(outside_), OutsideAsCreated());
  EXPECT_EQ(ModeOf(outside_), outside_mode);
}

INSTANTIATE_TEST_SUITE_P(
    Roots, PlantedSymlink,
    ::testing::Values(Planted{"etc", "", "/build"},             // etc itself
                      Planted{"dev", "", "/build"},             // dev/shm would go outside
                      Planted{"tmp", "", "/build"},             // chmod 1777 would go outside
                      Planted{"build", "", "/build/sub"},       // a build dir's parent
                      Planted{"dev/null", "victim", "/build"},  // a dev file
                      Planted{"etc/hosts", "target", "/build"}),
    [](const auto& info) {
      std::string name = info.param.name;
      for (char& c : name) {
        if (c == '/') c = '_';
      }
      return name;
    });

// The host's / as the given root: refused before anything is written. Run in a child that
// cannot write to any file system, so that were the refusal broken the first write fails
// (exit 2) instead of landing in the host's /.
TEST(SandboxRootRefusal, HostRootIsRefusedBeforeAnyWrite) {
  Scratch scratch("sbx-root-host");
  ASSERT_FALSE(scratch.path().empty());
  const int code = ExitCodeOf([&] {
    if (!ForbidFileSystemWritesIn(scratch.path())) return 10;
    try {
      SandboxRoot root(std::string("/"), getgid());
      root.Populate(StepsIn(kBuildDir));
      return 1;
    } catch (const SysError& e) {
      if (!e.refused()) return 2;
      return std::string(e.what()).find("is the host's /") == std::string::npos ? 3 : 0;
    } catch (...) {
      return 4;
    }
  });
  ASSERT_NE(code, 10)
      << "could not install (or prove) the seccomp filter that makes this case safe";
  EXPECT_EQ(code, 0) << "1: accepted, 2: not refused but failed (it tried to write), 3: wrong "
                        "message, 4: not a SysError";
}

// A root whose etc is the host's /etc (a bind mount, in a private mount namespace of a
// child that cannot write) is refused before anything is written.
TEST(SandboxRootRefusal, RootHoldingTheHostsEtcIsRefusedBeforeAnyWrite) {
  Scratch scratch("sbx-root-etc");
  ASSERT_FALSE(scratch.path().empty());
  const std::string etc = scratch.path() + "/etc";
  ASSERT_EQ(mkdir(etc.c_str(), 0755), 0);
  const std::string root = scratch.path();
  const int code = ExitCodeOf([&] {
    if (!EnterPrivateMountNamespace()) return 11;
    if (mount("/etc", etc.c_str(), nullptr, MS_BIND, nullptr) != 0) return 12;
    if (!ForbidFileSystemWritesIn(scratch.path())) return 10;
    try {
      SandboxRoot sandbox_root(root, getgid());
      sandbox_root.Populate(StepsIn(kBuildDir));
      return 1;
    } catch (const SysError& e) {
      if (!e.refused()) return 2;
      return std::string(e.what()).find("holds the host's /etc") == std::string::npos ? 3 : 0;
    } catch (...) {
      return 4;
    }
  });
  if (code == 11 || code == 12) {
    GTEST_SKIP() << "cannot bind the host's /etc in a private mount namespace here (neither "
                    "root nor user namespaces)";
  }
  ASSERT_NE(code, 10)
      << "could not install (or prove) the seccomp filter that makes this case safe";
  EXPECT_EQ(code, 0) << "1: accepted, 2: not refused but failed (it tried to write), 3: wrong "
                        "message, 4: not a SysError";
  EXPECT_EQ(testing::TreeOf(root), (Entries{{"etc", "dir"}})) << "the mount point was written to";
}

}  // namespace
}  // namespace sbx::root_test
