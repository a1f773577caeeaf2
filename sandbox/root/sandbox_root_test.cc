// The sandbox root the parent prepares (sandbox_root.cc), without privileges: what a given
// and a fresh root get, and that a fresh root is removed by what it was made of and whatever
// the builder left. The suite's other cases: sandbox_root_refusal_test.cc (what is refused
// before anything is written) and remove_tree_test.cc; what they share is in
// sandbox_root_fixture.h.
#include "sandbox/root/sandbox_root.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <seccomp.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/base/sys_error.h"
#include "sandbox/root/sandbox_root_fixture.h"
#include "sandbox/rules/root_layout.h"
#include "testing/host_probe.h"
#include "testing/scratch_dir.h"

namespace sbx::root_test {
namespace {

// In the calling process, for good: getdents and getdents64 fail with EPERM, so no directory
// can be listed. False if that could not be installed or does not hold in `dir`.
bool ForbidListingDirectories(const std::string& dir) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) return false;
  bool ok = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(getdents64), 0) == 0 &&
            seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(getdents), 0) == 0 &&
            seccomp_load(ctx) == 0;
  seccomp_release(ctx);
  DIR* listing = opendir(dir.c_str());
  ok = ok && listing && readdir(listing) == nullptr && errno == EPERM;
  if (listing) closedir(listing);
  return ok;
}

// What every root holds after SandboxRoot, with the build dir `build`: written out here, not
// taken from root_layout.h, so that a change to the layout must change this test too.
Entries LayoutEntries(const std::string& build) {
  Entries entries = {
      {"etc", "dir"},
      {"proc", "dir"},
      {"dev", "dir"},
      {"dev/shm", "dir"},
      {"dev/pts", "dir"},
      {"tmp", "dir"},
      {"dev/null", "file:"},
      {"dev/zero", "file:"},
      {"dev/full", "file:"},
      {"dev/random", "file:"},
      {"dev/urandom", "file:"},
      {"dev/tty", "file:"},
      {"dev/fd", "link:/proc/self/fd"},
      {"dev/stdin", "link:/proc/self/fd/0"},
      {"dev/stdout", "link:/proc/self/fd/1"},
      {"dev/stderr", "link:/proc/self/fd/2"},
      {"dev/ptmx", "link:pts/ptmx"},
      {"etc/hosts", "file:127.0.0.1 localhost\n::1 localhost\n"},
  };
  entries[build] = "dir";
  return entries;
}

// A fresh root that the code under test failed to remove (the case has failed already):
// removed here, so that the failure leaves nothing behind.
void RemoveLeftover(const std::string& path) { testing::ScratchDir::RemoveAll(path); }

// A given root gets the mount points, etc/hosts, the dev files and links, tmp 1777 and the
// build dir; its path is resolved once; only etc is bound read-only; it is kept afterwards.
TEST_F(SandboxRootTest, GivenRootGetsTheLayoutAndIsKept) {
  const std::string link = scratch_.path() + "/link-to-root";
  ASSERT_EQ(symlink(root_.c_str(), link.c_str()), 0);
  char resolved[PATH_MAX];
  ASSERT_NE(realpath(root_.c_str(), resolved), nullptr);
  {
    SandboxRoot root(link, getgid());
    root.Populate(StepsIn(kBuildDir));
    EXPECT_EQ(root.path(), resolved);
    EXPECT_EQ(testing::TreeOf(root_), LayoutEntries("build"));
    EXPECT_EQ(ModeOf(root_ + "/" + kTmpDir) & 07777, 01777u);
    ASSERT_EQ(root.read_only_binds().size(), 1u) << "a given root binds etc only";
    EXPECT_EQ(root.read_only_binds()[0].source, std::string(resolved) + "/etc");
    EXPECT_EQ(root.read_only_binds()[0].target, "/etc");
  }
  EXPECT_EQ(testing::TreeOf(root_), LayoutEntries("build")) << "a given root is left as it is";
  EXPECT_EQ(ModeOf(root_) & 07777, 0755u) << "a given root's own mode is not changed";
}

// A root prepared once can be prepared again (sbx run --root twice), and a nested build
// dir is made whole.
TEST_F(SandboxRootTest, GivenRootCanBePreparedAgain) {
  {
    SandboxRoot first(root_, getgid());
    first.Populate(StepsIn("/tmp/build/a"));
  }
  SandboxRoot again(root_, getgid());
  again.Populate(StepsIn("/tmp/build/a"));
  Entries expected = LayoutEntries("tmp/build/a");
  expected["tmp/build"] = "dir";
  EXPECT_EQ(testing::TreeOf(root_), expected);
}

// A given root that has its own device nodes (as a debootstrap'd one does) keeps them as the
// mount points, unopened. Making a device node needs CAP_MKNOD.
TEST_F(SandboxRootTest, GivenRootKeepsItsDeviceNodes) {
  ASSERT_EQ(mkdir((root_ + "/dev").c_str(), 0755), 0);
  if (mknod((root_ + "/dev/null").c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) {
    GTEST_SKIP() << "cannot make a device node here (no CAP_MKNOD): " << strerror(errno);
  }
  SandboxRoot root(root_, getgid());
  root.Populate(StepsIn(kBuildDir));
  struct stat st;
  ASSERT_EQ(lstat((root_ + "/dev/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "dev/null was replaced";
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
}

// A fresh root: made under /dev/shm or /tmp, announced before anything is in it, holding the
// layout and the host's system dirs (as dirs to bind, or copied symlinks), and removed by
// the destructor.
TEST_F(SandboxRootTest, FreshRootLivesAsLongAsTheObject) {
  std::string announced;
  Entries at_announcement;
  std::string path;
  {
    SandboxRoot root(std::nullopt, getgid(), [&](const std::string& p) {
      announced = p;
      at_announcement = testing::TreeOf(p);
    });
    root.Populate(StepsIn(kBuildDir));
    path = root.path();
    EXPECT_EQ(announced, path);
    EXPECT_EQ(at_announcement, Entries{}) << "announced only once it exists, before it is filled";
    EXPECT_TRUE(path.rfind("/dev/shm/sbx-root-", 0) == 0 || path.rfind("/tmp/sbx-root-", 0) == 0)
        << path;
    Entries expected = LayoutEntries("build");
    std::vector<std::string> bound;
    for (const char* dir : kSystemDirs) {
      struct stat st;
      if (lstat(dir, &st) != 0) continue;
      if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        const ssize_t n = readlink(dir, target, sizeof target);
        ASSERT_GT(n, 0);
        expected[dir + 1] = "link:" + std::string(target, n);
      } else {
        expected[dir + 1] = "dir";
        bound.push_back(dir);
      }
    }
    EXPECT_EQ(testing::TreeOf(path), expected);
    // Nix's chroot: root-owned and the build group's, mode 0750, where we may chown; else 0755.
    struct stat st;
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    if (geteuid() == 0) {
      EXPECT_EQ(st.st_mode & 07777, 0750u);
      EXPECT_EQ(st.st_uid, 0u);
      EXPECT_EQ(st.st_gid, getgid());
    } else {
      EXPECT_EQ(st.st_mode & 07777, 0755u);
    }
    // The binds: the system dirs that are dirs, then etc.
    std::vector<std::string> sources, targets;
    for (const BindMount& bind : root.read_only_binds()) {
      sources.push_back(bind.source);
      targets.push_back(bind.target);
    }
    bound.push_back(path + "/etc");
    EXPECT_EQ(sources, bound);
    bound.back() = "/etc";
    EXPECT_EQ(targets, bound);
  }
  EXPECT_NE(access(path.c_str(), F_OK), 0) << path << " outlived its SandboxRoot";
  RemoveLeftover(path);
}

// Where this process may make a tmpfs of its own (root), a fresh root asked for as one is
// that: no path on the host, the same layout beneath its fd, Nix's 0750 and the build group
// given at its creation; elsewhere it is a directory, as if none had been asked for.
TEST_F(SandboxRootTest, PrivateTmpfsRootHasNoPathOnTheHost) {
  SandboxRoot root(std::nullopt, getgid(), nullptr, false, FreshRoot::kPrivateTmpfs);
  root.Populate(StepsIn(kBuildDir));
  const std::string why = testing::PrivateTmpfsUnavailableReason();
  if (!why.empty()) {
    EXPECT_STREQ(root.kind(), "directory") << why;
    EXPECT_EQ(root.mount_fd(), -1);
    EXPECT_EQ(testing::TreeOf(root.path()).count("etc"), 1u) << root.path();
    return;
  }
  EXPECT_STREQ(root.kind(), "tmpfs");
  ASSERT_GE(root.mount_fd(), 0);
  EXPECT_EQ(root.path(), ".") << "the builder's view, once it has attached the tmpfs";
  struct statfs fs;
  ASSERT_EQ(fstatfs(root.mount_fd(), &fs), 0);
  EXPECT_EQ(fs.f_type, TMPFS_MAGIC);
  EXPECT_TRUE(fs.f_flags & ST_NOSUID) << "nosuid";
  EXPECT_TRUE(fs.f_flags & ST_NODEV) << "nodev";
  const std::string via_fd = "/proc/self/fd/" + std::to_string(root.mount_fd());
  struct stat st;
  ASSERT_EQ(stat(via_fd.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(st.st_uid, geteuid());
  EXPECT_EQ(st.st_gid, getgid());
  Entries tree = testing::TreeOf(via_fd);
  for (const auto& [entry, kind] : LayoutEntries("build")) {
    EXPECT_EQ(tree[entry], kind) << entry;
  }
  // etc is bound from the tmpfs itself, by the builder's relative path.
  ASSERT_FALSE(root.read_only_binds().empty());
  EXPECT_EQ(root.read_only_binds().back().source, "./etc");
}

// A fresh root is removed by what it was made of; what the start and the builder added (the
// etc files, files in tmp and the build dir, an entry in the root itself, a dev dir swapped
// for a symlink to the outside dir, a link in tmp to it) goes too, and nothing outside does.
TEST_F(SandboxRootTest, FreshRootIsRemovedWhateverTheBuilderLeft) {
  std::string path;
  {
    SandboxRoot root(std::nullopt, getgid());
    root.Populate(StepsIn("/tmp/build/a"));
    path = root.path();
    for (const char* file : kStartEtcFiles) std::ofstream(path + "/etc/" + file) << "x\n";
    ASSERT_EQ(mkdir((path + "/tmp/deep").c_str(), 0755), 0);
    ASSERT_EQ(mkdir((path + "/tmp/deep/er").c_str(), 0755), 0);
    std::ofstream(path + "/tmp/deep/er/file") << "x";
    std::ofstream(path + "/tmp/build/a/out") << "x";
    std::ofstream(path + "/in-root") << "x";
    ASSERT_EQ(symlink(outside_.c_str(), (path + "/tmp/to-outside").c_str()), 0);
    ASSERT_EQ(rename((path + "/dev").c_str(), (path + "/dev-moved").c_str()), 0);
    ASSERT_EQ(symlink(outside_.c_str(), (path + "/dev").c_str()), 0);
    std::ofstream(outside_ + "/null") << "outside's null\n";
  }
  EXPECT_NE(access(path.c_str(), F_OK), 0) << path << " outlived its SandboxRoot";
  Entries outside = OutsideAsCreated();
  outside["null"] = "file:outside's null\n";
  EXPECT_EQ(testing::TreeOf(outside_), outside) << "removed through the dev symlink";
  RemoveLeftover(path);
}

// A fresh root that holds only what it was made of (and the etc files of the start) is
// removed without listing a directory: in a child that cannot list one, it still goes.
TEST_F(SandboxRootTest, FreshRootIsRemovedByWhatItWasMadeOf) {
  int path_pipe[2];
  ASSERT_EQ(pipe(path_pipe), 0);
  const int code = ExitCodeOf([&] {
    std::string path;
    {
      SandboxRoot root(std::nullopt, getgid(), [&](const std::string& p) {
        if (write(path_pipe[1], p.data(), p.size()) != static_cast<ssize_t>(p.size())) _exit(13);
      });
      root.Populate(StepsIn("/tmp/build/a"));
      path = root.path();
      for (const char* file : kStartEtcFiles) std::ofstream(path + "/etc/" + file) << "x\n";
      if (!ForbidListingDirectories(path)) return 11;
    }
    return access(path.c_str(), F_OK) == 0 ? 1 : 0;
  });
  close(path_pipe[1]);
  char path[PATH_MAX];
  const ssize_t n = read(path_pipe[0], path, sizeof path);
  close(path_pipe[0]);
  if (n > 0) RemoveLeftover(std::string(path, n));
  if (code == 11) GTEST_SKIP() << "cannot install (or prove) a seccomp filter against listing";
  EXPECT_EQ(code, 0) << "1: the root was left behind (its removal needed a listing), 13: setup";
}

// A fresh root is removed again when it cannot be completed (Populate throws).
TEST_F(SandboxRootTest, FreshRootIsRemovedWhenItFails) {
  std::string announced;
  try {
    SandboxRoot root(std::nullopt, getgid(), [&](const std::string& p) { announced = p; });
    root.Populate(StepsIn("/build/../escape"));
    ADD_FAILURE() << "a build dir leaving the root was accepted";
  } catch (const SysError& e) {
    EXPECT_EQ(e.error(), EXDEV) << e.what();
  }
  ASSERT_FALSE(announced.empty());
  EXPECT_NE(access(announced.c_str(), F_OK), 0) << announced << " was left behind";
  RemoveLeftover(announced);
}

}  // namespace
}  // namespace sbx::root_test
